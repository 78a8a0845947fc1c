"""Figures drawn with a pen: polylines and skeletons become line segments, which are leaned, wobbled, broken
where a pen lifted, and drawn on a canvas at any size, place, pen width and colour. The writing styles and the
things that are not digits (synth/styles.py, synth/negatives.py) are made of these."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digitpred.synth.render import skeleton

Polyline = np.ndarray  # K×2 points, x right and y down, in any unit


def between(rng: np.random.Generator, a: float, b: float) -> float:
    """One uniform draw from [a, b), as a float: the stroke programs' every random length and angle."""
    return float(rng.uniform(a, b))


def line(a, b, n: int = 12) -> Polyline:
    t = np.linspace(0, 1, n)[:, None]
    return (1 - t) * np.asarray(a, float) + t * np.asarray(b, float)


def path(*points, n: int = 12) -> Polyline:
    """Straight lines through the points, in order."""
    parts = [line(points[i], points[i + 1], n) for i in range(len(points) - 1)]
    return np.concatenate([parts[0]] + [p[1:] for p in parts[1:]])


def arc(centre, radii, start: float, stop: float, n: int = 32) -> Polyline:
    """An ellipse's arc from `start` to `stop` degrees (0 is right, 90 is down, as on a screen)."""
    t = np.radians(np.linspace(start, stop, n))
    return np.stack([centre[0] + radii[0] * np.cos(t), centre[1] + radii[1] * np.sin(t)], axis=1)


def bezier(p0, p1, p2, p3, n: int = 24) -> Polyline:
    t = np.linspace(0, 1, n)[:, None]
    p0, p1, p2, p3 = (np.asarray(p, float) for p in (p0, p1, p2, p3))
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3


def wobble(strokes: list[Polyline], rng: np.random.Generator, amount: float) -> list[Polyline]:
    """A hand's unsteadiness: smooth, low-frequency noise along each stroke (amount in the strokes' units)."""
    out = []
    for s in strokes:
        k = len(s)
        knots = rng.normal(0, amount, (4, 2))
        t = np.linspace(0, 3, k)
        i = np.minimum(t.astype(int), 2)
        f = (t - i)[:, None]
        out.append(s + (1 - f) * knots[i] + f * knots[i + 1])
    return out


def segments(strokes: list[Polyline]) -> np.ndarray:
    """Polylines -> M×2×2 line segments."""
    return np.concatenate([np.stack([s[:-1], s[1:]], axis=1) for s in strokes if len(s) > 1])


def skeleton_segments(digit: np.ndarray) -> np.ndarray:
    """A 28×28 digit's skeleton as line segments, in 28-pixel units."""
    points, edges = skeleton(digit)
    if len(edges) == 0:
        raise ValueError("the digit has no strokes")
    return points[edges]


def lift(segs: np.ndarray, rng: np.random.Generator, gaps: int) -> np.ndarray:
    """Leave out `gaps` short runs of segments, where a pen lifted or skipped on the glass."""
    keep = np.ones(len(segs), bool)
    for _ in range(gaps):
        run = max(1, int(len(segs) * rng.uniform(0.02, 0.05)))
        start = int(rng.integers(0, max(1, len(segs) - run)))
        keep[start : start + run] = False
    return segs[keep] if keep.any() else segs


def lean(segs: np.ndarray, rng: np.random.Generator, slant: float = 0.25, turn: float = 8, squash: float = 0.15):
    """One random slant (top to the right), turn and change of aspect for the whole figure."""
    k = rng.uniform(-0.1, slant)
    a = np.radians(rng.uniform(-turn, turn))
    s = 1 + rng.uniform(-squash, squash)
    mid = segs.reshape(-1, 2).mean(axis=0)
    p = segs - mid
    x, y = p[..., 0] * s - k * p[..., 1], p[..., 1] / s
    return np.stack([x * np.cos(a) - y * np.sin(a), x * np.sin(a) + y * np.cos(a)], axis=-1) + mid


def colours(rng: np.random.Generator) -> tuple[tuple, tuple]:
    """Ink and background as the page's pads send them: black on white, on transparent, white on black, or a
    dark colour on a light one."""
    style = rng.integers(5)
    if style == 0:
        return (0, 0, 0, 255), (255, 255, 255, 255)
    if style == 1:
        return (0, 0, 0, 255), (0, 0, 0, 0)
    if style == 2:
        return (255, 255, 255, 255), (0, 0, 0, 255)
    if style == 3:
        return tuple(int(v) for v in rng.integers(0, 120, 3)) + (255,), (0, 0, 0, 0)
    return tuple(int(v) for v in rng.integers(0, 110, 3)) + (255,), tuple(int(v) for v in rng.integers(200, 256, 3)) + (
        255,
    )


def draw_segments(
    segs: np.ndarray,
    rng: np.random.Generator,
    side: int = 280,
    supersample: int = 3,
) -> Image.Image:
    """The figure drawn on a `side`-pixel square canvas: random height (the larger of its height and width),
    place, pen width (one width, round ends, as a tablet draws) and colours. RGBA."""
    lo, hi = segs.reshape(-1, 2).min(axis=0), segs.reshape(-1, 2).max(axis=0)
    extent = max(float((hi - lo).max()), 1e-6)
    size = rng.uniform(side * 0.15, side * 0.85)
    pen = min(rng.uniform(2, 30) if rng.random() < 0.8 else rng.uniform(2, 8), size / 4)
    scale = size / extent
    span = (hi - lo) * scale + pen + 4
    centre = np.array([rng.uniform(span[i] / 2, side - span[i] / 2) if span[i] < side else side / 2 for i in (0, 1)])
    xy = ((segs - (lo + hi) / 2) * scale + centre) * supersample
    ink, background = colours(rng)
    canvas = Image.new("RGBA", (side * supersample,) * 2, background)
    mask = Image.new("L", canvas.size, 0)
    d = ImageDraw.Draw(mask)
    w = max(1.0, pen * supersample)
    r = w / 2
    for (ax, ay), (bx, by) in xy:
        d.line([(ax, ay), (bx, by)], fill=255, width=int(round(w)))
        d.ellipse([ax - r, ay - r, ax + r, ay + r], fill=255)
        d.ellipse([bx - r, by - r, bx + r, by + r], fill=255)
    canvas.paste(Image.new("RGBA", canvas.size, ink), mask=mask)
    return canvas.resize((side, side), Image.BOX)
