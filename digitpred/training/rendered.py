"""Training digits redrawn the way people will send them (canvas strokes, low-resolution scans, phone photos of
paper, frame-filling scans of a few cells a side) and put through the serving pipeline: the model learns what the
pipeline makes of such inputs. Made from training digits only; the evaluation sets use held-out ones."""

from __future__ import annotations

import hashlib
import multiprocessing
from functools import cache
from pathlib import Path

import numpy as np

from digitpred.ml.errors import DigitpredError
from digitpred.ml.model import NOT_A_DIGIT
from digitpred.ml.preprocess import preprocess
from digitpred.ml.service import prepare
from digitpred.synth import negatives, styles
from digitpred.synth.evalsets import photo, scan, tiny
from digitpred.synth.render import Stroke, draw, place


@cache
def renders_digest() -> str:
    """A short digest of the code that makes the renders (the synth makers, this module, decoding and
    preprocessing): part of a cache file's name, so that a change to any of it renders afresh instead of
    training on what older code made. Read once a process: the code does not change while it trains."""
    root = Path(__file__).resolve().parents[1]
    files = [*sorted((root / "synth").glob("*.py")), root / "ml" / "decode.py", root / "ml" / "preprocess.py"]
    digest = hashlib.sha256()
    for path in [*files, Path(__file__).resolve()]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


# Photos for training are smaller frames than the evaluation set's: the pipeline works at 512 pixels anyway.
PHOTO_SIZES = ((480, 640), (640, 480), (600, 600))


def _pen(rng: np.random.Generator, widest: float) -> Stroke:
    """A canvas drawing's size, place and pen: 40-240 px tall, a pen 2 to `widest` px wide and at most a third
    of the height."""
    height = rng.uniform(40, 240)
    width = min(rng.uniform(2, widest), height / 3)
    return Stroke(height, place(height, width, rng), width)


def _canvas(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return preprocess(draw(digit, _pen(rng, 40)))


def _broken(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A canvas drawing with pen lifts: runs of the stroke left out, as in digits written in broken strokes."""
    return preprocess(draw(digit, _pen(rng, 30), gaps=rng.uniform(0.1, 0.35), rng=rng))


def _scan(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return prepare(scan(digit, rng)[0])


def _photo(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    size = PHOTO_SIZES[int(rng.integers(len(PHOTO_SIZES)))]
    return prepare(photo(digit, rng, size=size)[0])


def _tiny(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # Down to 6 cells, fewer than the evaluation set's 8: training reaches a little past what is asked of it.
    return prepare(tiny(digit, rng, fewest=6)[0])


def _styled(digit: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    """The digit's label in another hand: our stroke program for it, the digit itself redrawn with a tablet's
    pen (with a flag, base, bar or slash where its label takes one), or the digit from a font."""
    roll = rng.random()
    if roll < 0.4 and label in styles.PROGRAMS:
        return preprocess(styles.styled(label, rng))
    if roll < 0.85:
        return preprocess(styles.styled(label, rng, digit))
    fonts = negatives.fonts(negatives.TRAIN_FONTS)
    return preprocess(negatives.glyph(str(label), fonts[int(rng.integers(len(fonts)))], rng))


# Training digits of the whole split, for the pairs of digits among the negatives (set by render_set).
_PAIRS: np.ndarray | None = None


def _negative(digit: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    return preprocess(negatives.negative(rng, held_out=False, digits=_PAIRS)[0])


MAKERS = {"canvas": _canvas, "scan": _scan, "photo": _photo, "tiny": _tiny, "broken": _broken}
LABELLED = {"styles": _styled, "negatives": _negative}  # makers that need the label, or make their own
# The order sets each kind's seeds: canvas first, as before scans and photos existed; each new kind at the end.
KINDS = ("canvas", "scan", "photo", "tiny", "styles", "negatives", "broken")


def _render_one(args: tuple[str, np.ndarray, int, int]) -> np.ndarray | None:
    kind, digit, label, seed = args
    rng = np.random.default_rng(seed)
    try:
        if kind in LABELLED:
            return LABELLED[kind](digit, label, rng)
        return MAKERS[kind](digit, rng)
    except (DigitpredError, ValueError):
        return None  # a digit whose skeleton is empty or whose drawing vanished


def render_set(
    images: np.ndarray, labels: np.ndarray, seed: int, cache: str | Path | None = None, kind: str = "canvas"
) -> tuple[np.ndarray, np.ndarray]:
    """Each digit redrawn once as `kind` (random size, position, pen, light) and preprocessed: N×28×28 float32
    and labels."""
    if cache and Path(cache).is_file():
        data = np.load(cache)
        return data["x"], data["y"]
    # Canvas keeps its original seeds, so the cached sets of earlier models stay valid.
    global _PAIRS
    base = seed * 1_000_003 + KINDS.index(kind) * 7_919_111
    jobs = [(kind, digit, int(label), base + i) for i, (digit, label) in enumerate(zip(images, labels, strict=True))]
    _PAIRS = images  # the forked workers see it
    with multiprocessing.get_context("fork").Pool() as pool:
        fields = pool.map(_render_one, jobs, chunksize=64)
    keep = [i for i, f in enumerate(fields) if f is not None]
    x = np.stack([fields[i] for i in keep]).astype(np.float32)
    y = np.full(len(keep), NOT_A_DIGIT, dtype=labels.dtype) if kind == "negatives" else labels[keep]
    if cache:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, x=x, y=y)
    return x, y
