"""Training digits redrawn as canvas strokes and put through the serving pipeline: what the model will see
from people drawing on the page. Made from training digits only; evaluation sets use held-out ones."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np

from digitpred.ml.errors import DigitpredError
from digitpred.ml.preprocess import preprocess
from digitpred.ml.render import Stroke, draw, place


def _render_one(args: tuple[np.ndarray, int]) -> np.ndarray | None:
    digit, seed = args
    rng = np.random.default_rng(seed)
    height = rng.uniform(40, 240)
    width = min(rng.uniform(2, 40), height / 3)
    try:
        return preprocess(draw(digit, Stroke(height, place(height, width, rng), width)))
    except (DigitpredError, ValueError):
        return None  # a digit whose skeleton is empty or whose drawing vanished


def render_set(images: np.ndarray, labels: np.ndarray, seed: int, cache: str | Path | None = None):
    """Each digit redrawn once (random size, position and pen) and preprocessed: N×28×28 float32 and labels."""
    if cache and Path(cache).is_file():
        data = np.load(cache)
        return data["x"], data["y"]
    jobs = [(digit, seed * 1_000_003 + i) for i, digit in enumerate(images)]
    with multiprocessing.get_context("fork").Pool() as pool:
        fields = pool.map(_render_one, jobs, chunksize=256)
    keep = [i for i, f in enumerate(fields) if f is not None]
    x = np.stack([fields[i] for i in keep]).astype(np.float32)
    y = labels[keep]
    if cache:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, x=x, y=y)
    return x, y
