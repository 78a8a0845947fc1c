"""Digits as people outside MNIST write them, drawn with a pen on the page's pad: 1s with a long flag and a
base, leaning; crossed 7s; open and closed 4s; 9s with a small, open or flat loop and a straight or hooked stem;
5s in one stroke; crossed zeros; 2s with a loop; flat-topped 3s; and MNIST digits given those strokes (a flag,
a base, a bar, a slash). Stroke programs of our own, and training or held-out digits: which digits a set is
made from decides whether it trains or evaluates."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from digitpred.synth.strokes import (
    Polyline,
    arc,
    between,
    bezier,
    draw_segments,
    lean,
    lift,
    line,
    path,
    segments,
    skeleton_segments,
    wobble,
)


def one(rng: np.random.Generator) -> list[Polyline]:
    """A continental 1: a flag from the top, often nearly as long as the stem; sometimes a base."""
    top, foot = (0.55, 0.0), (0.5 + between(rng, -0.04, 0.04), 1.0)
    # A 7's bar lies near level; a 1's flag falls steeply, whatever its length.
    length, angle = between(rng, 0.15, 0.7), np.radians(between(rng, 32, 70))
    end = (top[0] - length * np.cos(angle), top[1] + length * np.sin(angle))
    bend = between(rng, -0.08, 0.08)
    flag = bezier(end, ((end[0] + top[0]) / 2, (end[1] + top[1]) / 2 + bend), (top[0] - 0.02, 0.02), top, 12)
    strokes = [np.concatenate([flag, line(top, foot)[1:]])] if rng.random() < 0.7 else [flag, line(top, foot)]
    if rng.random() < 0.4:
        half = between(rng, 0.15, 0.35)
        strokes.append(line((foot[0] - half, 1.0), (foot[0] + half * between(rng, 0.8, 1.2), 1.0)))
    return strokes


def seven(rng: np.random.Generator) -> list[Polyline]:
    """A 7 with a crossbar through its stem (drawn as a stroke of its own), sometimes a serif on its bar."""
    left, right = (0.15 + between(rng, -0.05, 0.05), between(rng, 0.0, 0.08)), (0.85, 0.0)
    foot = (between(rng, 0.35, 0.6), 1.0)
    curve = between(rng, -0.1, 0.1)
    stem = bezier(right, (right[0] - 0.1 + curve, 0.35), (foot[0] + 0.05 + curve, 0.7), foot, 20)
    bar = line(left, right)
    if rng.random() < 0.35:
        bar = np.concatenate([line((left[0] - 0.02, left[1] + between(rng, 0.1, 0.2)), left, 4), bar[1:]])
    strokes = [np.concatenate([bar, stem[1:]])]
    y = between(rng, 0.42, 0.6)
    x = float(np.interp(y, stem[:, 1], stem[:, 0]))
    half = between(rng, 0.12, 0.25)
    if rng.random() < 0.85:
        strokes.append(line((x - half, y + between(rng, -0.03, 0.03)), (x + half * between(rng, 0.7, 1.2), y)))
    return strokes


def four(rng: np.random.Generator) -> list[Polyline]:
    """A 4 drawn open (two strokes meeting at a corner) or closed (a triangle), the stem as a second stroke."""
    stem_x, bar_y = between(rng, 0.55, 0.72), between(rng, 0.55, 0.72)
    right = between(rng, 0.8, 0.95)
    if rng.random() < 0.5:
        first = path((between(rng, 0.15, 0.35), 0.0), (between(rng, 0.08, 0.2), bar_y), (right, bar_y))
        stem = line((stem_x + between(rng, -0.03, 0.03), between(rng, 0.0, 0.3)), (stem_x, 1.0))
    else:
        first = path((stem_x, 0.0), (between(rng, 0.05, 0.2), bar_y), (right, bar_y))
        stem = line((stem_x, between(rng, 0.0, 0.15)), (stem_x + between(rng, -0.04, 0.02), 1.0))
    return [first, stem]


def nine(rng: np.random.Generator) -> list[Polyline]:
    """A 9: a small, open or flattened loop, and a straight, slanted or hooked stem."""
    rx, ry = between(rng, 0.18, 0.32), between(rng, 0.1, 0.25)
    cx, cy = 0.5, ry + 0.01
    gap = between(rng, 0, 70) if rng.random() < 0.4 else 0
    loop = arc((cx, cy), (rx, ry), -10 - gap / 2, -370 + gap / 2, 28)
    start = (cx + rx, cy)
    foot = (cx + rx - between(rng, 0.0, 0.25), 1.0)
    if rng.random() < 0.4:
        hook = (foot[0] - between(rng, 0.1, 0.25), 1.0 - between(rng, 0.05, 0.15))
        stem = bezier(start, (start[0], 0.6), (foot[0] + 0.03, 1.02), hook, 16)
    else:
        stem = line(start, foot)
    return [np.concatenate([loop, stem])] if rng.random() < 0.7 else [loop, stem]


def five(rng: np.random.Generator) -> list[Polyline]:
    """A 5 in one stroke (the bar first, then down and round the belly), or the bar as a second stroke."""
    right, corner = (between(rng, 0.7, 0.85), between(rng, 0.0, 0.05)), (between(rng, 0.22, 0.35), 0.02)
    waist = (corner[0] - between(rng, 0.0, 0.06), between(rng, 0.35, 0.5))
    belly = bezier(
        waist,
        (0.75, waist[1] - 0.12),
        (between(rng, 0.85, 1.0), 1.0),
        (between(rng, 0.1, 0.3), between(rng, 0.85, 0.95)),
    )
    if rng.random() < 0.6:
        return [np.concatenate([path(right, corner, waist), belly[1:]])]
    return [np.concatenate([line(corner, waist), belly[1:]]), line(corner, right)]


def zero(rng: np.random.Generator) -> list[Polyline]:
    """A zero crossed by a slash, as programmers and some schools write it."""
    rx = between(rng, 0.22, 0.38)
    ring = arc((0.5, 0.5), (rx, 0.5), -90 + between(rng, -20, 20), 270 + between(rng, 0, 25), 36)
    if rng.random() < 0.5:
        slash = line((0.5 + rx * 0.9, between(rng, 0.05, 0.2)), (0.5 - rx * 0.9, between(rng, 0.8, 0.95)))
    else:
        slash = line((0.5 - rx * 0.7, between(rng, 0.1, 0.25)), (0.5 + rx * 0.7, between(rng, 0.75, 0.9)))
    return [ring, slash]


def two(rng: np.random.Generator) -> list[Polyline]:
    """A 2 with a small loop where the diagonal meets the base."""
    top = arc((0.5, 0.25), (between(rng, 0.25, 0.35), 0.25), 180 + between(rng, 0, 30), 360 + between(rng, 20, 50), 16)
    corner = (between(rng, 0.15, 0.3), between(rng, 0.85, 0.95))
    down = line(top[-1], corner, 10)
    r = between(rng, 0.05, 0.1)
    loop = arc((corner[0] + r, corner[1] - r * 0.2), (r, r), 180, -180, 14)
    return [np.concatenate([top, down[1:], loop[1:], line(corner, (between(rng, 0.75, 0.9), 1.0))[1:]])]


def three(rng: np.random.Generator) -> list[Polyline]:
    """A flat-topped 3: a bar, a diagonal down to the middle, and the lower bowl."""
    left, right = (between(rng, 0.15, 0.3), 0.0), (between(rng, 0.7, 0.85), 0.0)
    middle = (between(rng, 0.35, 0.5), between(rng, 0.38, 0.48))
    bowl = bezier(middle, (1.0, middle[1] - 0.05), (1.0, 1.1), (between(rng, 0.1, 0.25), between(rng, 0.8, 0.95)))
    return [np.concatenate([path(left, right, middle), bowl[1:]])]


PROGRAMS: dict[int, Callable[[np.random.Generator], list[Polyline]]] = {
    0: zero,
    1: one,
    2: two,
    3: three,
    4: four,
    5: five,
    7: seven,
    9: nine,
}


def decorate(digit: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    """A real digit's strokes (28-pixel units) with a writer's added stroke: a 1 gets a long flag and maybe a
    base, a 7 a crossbar, a 0 a slash. Other digits come back as they are."""
    segs = skeleton_segments(digit)
    pts = segs.reshape(-1, 2)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    h = hi[1] - lo[1]
    extra: list[Polyline] = []
    if label == 1:
        top = pts[pts[:, 1].argmin()]
        length, angle = h * between(rng, 0.2, 0.65), np.radians(between(rng, 32, 68))
        extra.append(line(top, (top[0] - length * np.cos(angle), top[1] + length * np.sin(angle))))
        if rng.random() < 0.4:
            foot = pts[pts[:, 1].argmax()]
            half = h * between(rng, 0.15, 0.3)
            extra.append(line((foot[0] - half, foot[1]), (foot[0] + half, foot[1])))
    elif label == 7:
        y = lo[1] + h * between(rng, 0.45, 0.6)
        near = pts[np.abs(pts[:, 1] - y) < max(1.0, h * 0.05)]
        if len(near):
            x = float(near[:, 0].mean())
            half = h * between(rng, 0.12, 0.22)
            extra.append(line((x - half, y), (x + half, y + between(rng, -1, 1))))
    elif label == 0:
        extra.append(line((hi[0] - 0.1 * (hi[0] - lo[0]), lo[1] + 0.1 * h), (lo[0] + 0.1 * (hi[0] - lo[0]), hi[1])))
    return np.concatenate([segs, segments(extra)]) if extra else segs


def styled(label: int, rng: np.random.Generator, digit: np.ndarray | None = None) -> Image.Image:
    """One digit of `label` in another hand, drawn on the pad: from a real digit with an added stroke when one is
    given (and its label has one), else from our stroke program for the label."""
    if digit is not None:
        segs = lean(decorate(digit, label, rng), rng, slant=0.3)
    else:
        strokes = PROGRAMS[label](rng)
        segs = lean(segments(wobble(strokes, rng, between(rng, 0.0, 0.03))), rng, slant=0.35)
    if rng.random() < 0.2:
        segs = lift(segs, rng, int(rng.integers(1, 3)))
    return draw_segments(segs, rng)


DECORATED = (0, 1, 7)  # the labels whose real digits get a writer's stroke
