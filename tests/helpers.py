"""What the tests share besides fixtures: the committed test pictures, pictures made on the spot, the CSRF token of
a page, and the fake model. Test modules import from here; fixtures live in conftest.py, and no test module imports
another."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from flask import Flask
from PIL import Image

from digitpred.synth.render import Stroke, draw

RESOURCES = Path(__file__).parent / "resources"


def resource(name: str) -> bytes:
    return (RESOURCES / name).read_bytes()


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def canvas_png(digit: np.ndarray, **stroke) -> bytes:
    stroke = {"height": 180, "centre": (140, 140), "width": 16, **stroke}
    return png_bytes(draw(digit, Stroke(**stroke)))


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', html
    )
    assert match, "the page has no CSRF token"
    return match.group(1)


class FakeModel:
    """Stands in for the network where its answer is beside the point: always fairly sure it is a 3."""

    def __init__(self) -> None:
        self.batches: list[np.ndarray] = []

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.batches.append(batch)
        probs = np.full((len(batch), 10), 0.02, dtype=np.float32)
        probs[:, 3] = 0.82
        return probs


def instance_files() -> dict[str, tuple[int, int]]:
    """The app's instance folder (the checkout's instance/ in an editable install): each file's size and mtime."""
    folder = Path(Flask("digitpred").instance_path)
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def free_port() -> int:
    """A loopback port nothing listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(url: str, proc, seconds: float = 60) -> None:
    """Until `url`/api/health says the model is loaded; fails with the process's output if it dies first."""
    import json
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=2) as r:
                if json.load(r)["model_loaded"]:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.terminate()
            raise RuntimeError("the server did not start:\n" + proc.communicate()[0].decode(errors="replace"))
        time.sleep(0.2)
