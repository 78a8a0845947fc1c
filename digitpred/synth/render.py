"""Held-out MNIST digits redrawn as a person would draw them on a canvas: pen strokes along the digit's
skeleton, at any size, position, stroke width and colour. Used for evaluation sets and tests, never for
training on what is evaluated."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

UPSCALE = 3


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning, vectorised: a binary mask -> its one-pixel-wide skeleton."""
    img = mask.astype(np.uint8).copy()
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            p = np.pad(img, 1)
            n = [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:], p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]
            neighbours = sum(x.astype(np.int32) for x in n)
            transitions = sum(((n[i] == 0) & (n[(i + 1) % 8] == 1)).astype(np.int32) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if step == 0:
                cond = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                cond = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            remove = (img == 1) & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1) & cond
            if remove.any():
                img[remove] = 0
                changed = True
    return img.astype(bool)


def skeleton(digit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 28×28 uint8 digit -> skeleton points (N×2, x/y in 28-pixel units) and edges (M×2 point indices)."""
    big = Image.fromarray(digit).resize((28 * UPSCALE, 28 * UPSCALE), Image.BILINEAR)
    skel = thin(np.asarray(big) > 100)
    ys, xs = np.nonzero(skel)
    index = -np.ones(skel.shape, dtype=np.int64)
    index[ys, xs] = np.arange(len(ys))
    edges = []
    for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
        ny, nx = ys + dy, xs + dx
        ok = (ny >= 0) & (ny < skel.shape[0]) & (nx >= 0) & (nx < skel.shape[1])
        j = np.full(len(ys), -1)
        j[ok] = index[ny[ok], nx[ok]]
        hit = j >= 0
        edges.append(np.stack([np.arange(len(ys))[hit], j[hit]], axis=1))
    points = np.stack([xs, ys], axis=1).astype(np.float64) / UPSCALE
    return points, np.concatenate(edges) if edges else np.zeros((0, 2), dtype=np.int64)


@dataclass(frozen=True)
class Stroke:
    """How to draw: digit height and centre in canvas pixels, pen width, colours (RGBA)."""

    height: float
    centre: tuple[float, float]
    width: float
    ink: tuple[int, int, int, int] = (0, 0, 0, 255)
    background: tuple[int, int, int, int] = (255, 255, 255, 255)


def place(height: float, width: float, rng: np.random.Generator, side: int = 280) -> tuple[float, float]:
    """A random centre that keeps a digit of this height and pen width wholly on a square canvas (the strokes
    reach half a pen width past the skeleton; a digit is about 0.9 times as wide as tall at most)."""
    half_w, half_h = height * 0.45 + width / 2 + 2, height / 2 + width / 2 + 2
    middle = side / 2
    return (
        rng.uniform(half_w, side - half_w) if half_w < middle else middle,
        rng.uniform(half_h, side - half_h) if half_h < middle else middle,
    )


def draw(
    digit: np.ndarray,
    stroke: Stroke,
    size: tuple[int, int] = (280, 280),
    supersample: int = 3,
    gaps: float = 0.0,
    rng: np.random.Generator | None = None,
) -> Image.Image:
    """Redraw a 28×28 digit as antialiased pen strokes on a canvas (RGBA).

    `gaps` leaves out that share of the stroke in short runs: a broken or dotted line.
    """
    points, edges = skeleton(digit)
    if len(points) == 0:
        raise ValueError("the digit has no strokes")
    if gaps > 0:
        rng = rng or np.random.default_rng()
        # Drop points by their position along a coarse grid, so whole runs of stroke go missing together.
        cell = np.floor(points / 2.0).astype(int)
        keep_cell = rng.random((16, 16)) >= gaps
        keep = keep_cell[np.clip(cell[:, 1], 0, 15), np.clip(cell[:, 0], 0, 15)]
        index = -np.ones(len(points), dtype=int)
        index[keep] = np.arange(keep.sum())
        edges = edges[keep[edges[:, 0]] & keep[edges[:, 1]]]
        edges = index[edges]
        points = points[keep]
    lo, hi = points.min(axis=0), points.max(axis=0)
    extent = max(hi[1] - lo[1], 1e-6)
    scale = stroke.height / extent
    mid = (lo + hi) / 2
    ss = supersample
    xy = ((points - mid) * scale + np.asarray(stroke.centre)) * ss
    canvas = Image.new("RGBA", (size[0] * ss, size[1] * ss), stroke.background)
    pen = Image.new("L", canvas.size, 0)
    ink = ImageDraw.Draw(pen)
    w = max(1.0, stroke.width * ss)
    r = w / 2
    for a, b in edges:
        ink.line([tuple(xy[a]), tuple(xy[b])], fill=255, width=int(round(w)))
    for x, y in xy:
        ink.ellipse([x - r, y - r, x + r, y + r], fill=255)
    canvas.paste(Image.new("RGBA", canvas.size, stroke.ink), mask=pen)
    return canvas.resize(size, Image.BOX)
