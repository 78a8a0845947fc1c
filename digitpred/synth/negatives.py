"""Things that are not digits, as people draw or photograph them: letters and symbols from fonts, doodles
(hearts, faces, houses, stars, scribbles), letters drawn with a pen, and two digits run together.

Training and evaluation use different makers: `TRAIN` draws with the DejaVu fonts and one set of doodles,
`HELD_OUT` with the Liberation and FreeFont fonts and doodles of other kinds, so the refusal is measured on
things it never saw. Letters that are written like digits (O, I, l, S, Z, B, g, q, ...) are left out of both.
The handwriting fonts kept for independent checks are never used."""

from __future__ import annotations

import glob
from collections.abc import Callable
from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digitpred.synth.strokes import (
    arc,
    between,
    bezier,
    colours,
    draw_segments,
    lean,
    line,
    path,
    segments,
    skeleton_segments,
    wobble,
)

# Written like a digit by someone: never a negative.
LOOKALIKES = set("OoQDIlijJSsZzBbgqGTYyadUuhnrftecCvVLPpy")
LETTERS = "".join(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in LOOKALIKES)
# Not "!", "/", "|", brackets or "()": with the dot dropped as a speck, or leaning, they are written like a 1;
# nor § (a 5 or an 8), £ (a 2 or a 4), Δ (a closed 4), µ (a 4) or ± (a crossed 1 or a 4).
SYMBOLS = "&?#@%*=+€¥∞πΩΣ♥★✓→←♪☺¶¤®©÷×<>"

TRAIN_FONTS = "/usr/share/fonts/truetype/dejavu/DejaVu*.ttf"
HELD_OUT_FONTS = ("/usr/share/fonts/truetype/liberation/*.ttf", "/usr/share/fonts/truetype/freefont/*.ttf")


@cache
def fonts(pattern: str | tuple[str, ...]) -> tuple[str, ...]:
    patterns = (pattern,) if isinstance(pattern, str) else pattern
    found = sorted(f for p in patterns for f in glob.glob(p) if "MathTeX" not in f)
    if not found:
        raise FileNotFoundError(
            f"no fonts at {patterns}: install fonts-dejavu-core, fonts-liberation, fonts-freefont-ttf"
        )
    return tuple(found)


@cache
def covers(font_path: str, char: str) -> bool:
    """Whether the font draws the character itself, not its box for a missing glyph."""
    font = ImageFont.truetype(font_path, 40)
    return bytes(font.getmask(char)) != bytes(font.getmask("\U0010fffd"))


def glyph(char: str, font_path: str, rng: np.random.Generator, side: int = 280) -> Image.Image:
    """A character from a font, at a random size, place, slant and colour, on the pad's canvas."""
    size = int(rng.uniform(side * 0.2, side * 0.7))
    font = ImageFont.truetype(font_path, size)
    ink, background = colours(rng)
    mask = Image.new("L", (side, side), 0)
    ImageDraw.Draw(mask).text((side / 2, side / 2), char, font=font, fill=255, anchor="mm")
    k = rng.uniform(-0.25, 0.25)
    mask = mask.transform(mask.size, Image.AFFINE, (1, k, -k * side / 2, 0, 1, 0), Image.BILINEAR)
    mask = mask.rotate(rng.uniform(-12, 12), Image.BILINEAR, translate=tuple(rng.uniform(-side / 6, side / 6, 2)))
    canvas = Image.new("RGBA", (side, side), background)
    canvas.paste(Image.new("RGBA", canvas.size, ink), mask=mask)
    return canvas


# Doodles for training.


def heart(rng):
    w = between(rng, 0.3, 0.5)
    left = bezier((0.5, 0.3), (0.5 - w * 0.3, -0.05), (0.5 - w * 1.4, 0.2), (0.5, 1.0))
    right = bezier((0.5, 0.3), (0.5 + w * 0.3, -0.05), (0.5 + w * 1.4, 0.2), (0.5, 1.0))
    return [left, right]


def smiley(rng):
    strokes = [arc((0.5, 0.5), (0.5, 0.5), 0, 360, 40)]
    for x in (0.33, 0.67):
        strokes.append(arc((x, 0.35), (0.04, 0.05), 0, 360, 8))
    mood = 1 if rng.random() < 0.75 else -1
    strokes.append(arc((0.5, 0.55 + (0.1 if mood < 0 else 0)), (0.22, 0.15 * mood), 20, 160, 14))
    return strokes


def cross(rng):
    return [line((0.0, 0.0), (1.0, 1.0)), line((1.0, between(rng, 0.0, 0.15)), (between(rng, 0.0, 0.15), 1.0))]


def house(rng):
    roof = between(rng, 0.3, 0.45)
    strokes = [path((0.1, roof), (0.5, 0.0), (0.9, roof)), path((0.15, roof), (0.15, 1.0), (0.85, 1.0), (0.85, roof))]
    if rng.random() < 0.6:
        strokes.append(path((0.42, 1.0), (0.42, 0.7), (0.58, 0.7), (0.58, 1.0)))
    return strokes


def star(rng):
    t = np.radians(np.arange(6) * 144 - 90 + between(rng, -10, 10))
    return [np.stack([0.5 + 0.5 * np.cos(t), 0.5 + 0.5 * np.sin(t)], axis=1)]


def scribble(rng):
    points = rng.uniform(0, 1, (int(rng.integers(9, 15)), 2))  # many turns: a scribble, never a digit by chance
    return [
        np.concatenate(
            [bezier(points[i], *rng.uniform(0, 1, (2, 2)), points[i + 1], 10) for i in range(len(points) - 1)]
        )
    ]


def zigzag(rng):
    n = int(rng.integers(3, 7))
    xs = np.linspace(0, 1, 2 * n + 1)
    ys = np.where(np.arange(2 * n + 1) % 2 == 0, 0.0, between(rng, 0.3, 1.0))
    return [np.stack([xs, ys], axis=1)]


def pen_letter(rng):
    """A, K, M, W, x, E, F, H, N, R, k, h, m, w drawn with a pen."""
    shapes = {
        "A": lambda: [path((0, 1), (0.5, 0), (1, 1)), line((0.25, 0.6), (0.75, 0.6))],
        "K": lambda: [line((0.1, 0), (0.1, 1)), path((0.9, 0), (0.1, 0.55), (0.9, 1))],
        "M": lambda: [path((0, 1), (0.05, 0), (0.5, 0.6), (0.95, 0), (1, 1))],
        "W": lambda: [path((0, 0), (0.25, 1), (0.5, 0.3), (0.75, 1), (1, 0))],
        "x": lambda: [line((0, 0.3), (1, 1)), line((1, 0.3), (0, 1))],
        "E": lambda: [path((0.9, 0), (0.1, 0), (0.1, 1), (0.9, 1)), line((0.1, 0.5), (0.7, 0.5))],
        "F": lambda: [path((0.9, 0), (0.1, 0), (0.1, 1)), line((0.1, 0.5), (0.7, 0.5))],
        "H": lambda: [line((0.1, 0), (0.1, 1)), line((0.9, 0), (0.9, 1)), line((0.1, 0.5), (0.9, 0.5))],
        "N": lambda: [path((0.1, 1), (0.1, 0), (0.9, 1), (0.9, 0))],
        "R": lambda: [
            path((0.1, 1), (0.1, 0), (0.6, 0)),
            arc((0.6, 0.25), (0.3, 0.25), -90, 90, 12),
            path((0.6, 0.5), (0.1, 0.5), (0.9, 1)),
        ],
        "k": lambda: [line((0.2, 0), (0.2, 1)), path((0.8, 0.35), (0.2, 0.7), (0.85, 1))],
        "h": lambda: [
            line((0.15, 0), (0.15, 1)),
            np.concatenate([arc((0.5, 0.65), (0.35, 0.25), 180, 360, 12), line((0.85, 0.65), (0.85, 1))]),
        ],
        "m": lambda: [
            np.concatenate(
                [
                    line((0, 1), (0, 0.4)),
                    arc((0.25, 0.5), (0.25, 0.15), 180, 360, 10),
                    line((0.5, 0.5), (0.5, 1)),
                    arc((0.75, 0.5), (0.25, 0.15), 180, 360, 10),
                    line((1, 0.5), (1, 1)),
                ]
            )
        ],
        "w": lambda: [path((0, 0.4), (0.25, 1), (0.5, 0.5), (0.75, 1), (1, 0.4))],
    }
    keys = sorted(shapes)
    return shapes[keys[int(rng.integers(len(keys)))]]()


TRAIN_DOODLES = (heart, smiley, cross, house, star, scribble, zigzag, pen_letter)


# Doodles of other kinds, for the held-out set only.


def arrow(rng):
    return [line((0, 0.5), (1, 0.5)), path((0.7, 0.2), (1, 0.5), (0.7, 0.8))]


def spiral(rng):
    t = np.linspace(0, between(rng, 3, 5) * np.pi, 60)
    r = 0.5 * t / t[-1]
    return [np.stack([0.5 + r * np.cos(t), 0.5 + r * np.sin(t)], axis=1)]


def sun(rng):
    strokes = [arc((0.5, 0.5), (0.22, 0.22), 0, 360, 24)]
    for a in np.radians(np.arange(0, 360, 45) + between(rng, 0, 45)):
        strokes.append(
            line((0.5 + 0.3 * np.cos(a), 0.5 + 0.3 * np.sin(a)), (0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a)))
        )
    return strokes


def envelope(rng):
    return [path((0, 0.2), (1, 0.2), (1, 0.9), (0, 0.9), (0, 0.2)), path((0, 0.2), (0.5, 0.6), (1, 0.2))]


def lightning(rng):
    return [path((0.6, 0), (0.25, 0.55), (0.65, 0.45), (0.35, 1))]


def hash_sign(rng):
    return [
        line((0.35, 0), (0.25, 1)),
        line((0.75, 0), (0.65, 1)),
        line((0, 0.33), (1, 0.33)),
        line((0, 0.67), (1, 0.67)),
    ]


def cloud(rng):
    bumps = [arc((x, 0.5), (0.17, 0.2), 180, 360, 10) for x in (0.17, 0.5, 0.83)]
    return [np.concatenate(bumps), line((0.0, 0.5), (1.0, 0.5))]


def stick_figure(rng):
    return [
        arc((0.5, 0.15), (0.12, 0.15), 0, 360, 16),
        line((0.5, 0.3), (0.5, 0.7)),
        line((0.2, 0.45), (0.8, 0.45)),
        path((0.25, 1), (0.5, 0.7), (0.75, 1)),
    ]


HELD_OUT_DOODLES = (arrow, spiral, sun, envelope, lightning, hash_sign, cloud, stick_figure)


def doodle(maker: Callable, rng: np.random.Generator) -> Image.Image:
    segs = lean(segments(wobble(maker(rng), rng, between(rng, 0.0, 0.03))), rng, slant=0.2, turn=15)
    return draw_segments(segs, rng)


def pair(first: np.ndarray, second: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Two real digits drawn side by side, apart or touching: one field that is not one digit."""
    a, b = skeleton_segments(first), skeleton_segments(second)
    b = b + np.array([between(rng, 18, 28), between(rng, -3, 3)])
    return draw_segments(lean(np.concatenate([a, b]), rng, slant=0.2), rng)


def negative(rng: np.random.Generator, held_out: bool, digits: np.ndarray | None = None) -> tuple[Image.Image, str]:
    """One thing that is not a digit and its kind ("font", "doodle" or "pair"): `digits` (N×28×28) feeds the
    pairs, training digits for training and held-out ones for evaluation."""
    roll = rng.random()
    if roll < 0.4:
        chars = LETTERS + SYMBOLS
        font = fonts(HELD_OUT_FONTS if held_out else TRAIN_FONTS)
        while True:
            char, path_ = chars[int(rng.integers(len(chars)))], font[int(rng.integers(len(font)))]
            if covers(path_, char):
                return glyph(char, path_, rng), "font"
    if roll < 0.8 or digits is None:
        makers = HELD_OUT_DOODLES if held_out else TRAIN_DOODLES
        return doodle(makers[int(rng.integers(len(makers)))], rng), "doodle"
    i, j = rng.integers(len(digits), size=2)
    return pair(digits[i], digits[j], rng), "pair"
