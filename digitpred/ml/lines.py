"""A page of numbers -> each number on it, line by line, top to bottom, left to right.

The ink's connected strokes (segment.strokes) are chained into lines, tallest first: a stroke joins the nearest
line whose nearest strokes, sideways, share its rows or its baseline (so a line may slant, need not start at the
left edge, and may hold a small number beside a big one), and lines side by side on the same rows are one; a
piece stacked close over or under a stroke (small, or nearly touching it) goes with its line; a "line" of small
pieces right beside another line's digits folds into it. A line splits into numbers where a gap is wider than its
digits are tall. Each number is then cut out, with only its own strokes and the specks among them, and read as a
row (segment.read_row): its digits, points and minus sign.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from digitpred.ml.errors import DigitpredError, TooManyDigits
from digitpred.ml.preprocess import AVERAGED, Options, ink_map
from digitpred.ml.segment import Group, pen_width, scaled_box, strokes

# A stroke joins a line when it shares this much of the smaller one's height with the line's nearest stroke.
SHARE = 0.35
# A stroke this many of the line's heights away, or nearer, may still be on the line: numbers on one line stand
# well apart.
JOIN_GAP = 8.0
# A gap wider than this many digit heights parts two numbers on one line.
NUMBER_GAP = 1.3
# Strokes lighter than this share of the heaviest are specks, left out before anything is chained. Only the
# faintest: on a page of big and small numbers the point of a small one, or a piece of a small digit drawn in
# broken strokes, weighs well under 1% of a big digit; each row's reading drops its own specks (segment.py).
SPECK = 0.003
MAX_NUMBERS = 40
# Strokes on a page of MAX_NUMBERS numbers, with room for broken ones: more are no page of numbers (grain, a
# texture, a page of text), refused before chaining them into lines, which takes time growing with their square.
MAX_STROKES = 10 * MAX_NUMBERS
# A page with more specks than this is grainy (a noisy scan, a dusty photo): its specks all stay out of its numbers.
# Drawn, photographed and scanned tuning pages have at most four.
NOISY_FROM = 10
# Small strokes beside a line are pieces of its digits only when together they are no wider than this many of the
# line's heights: a small number written above or below spans more.
FOLD_WIDTH = 2.2
# A page shrunk by more than this for its ink map has its numbers cut again from the picture itself (_sharper).
SHARPER_FROM = 1.5
# ... to about this many pixels tall at most (a number drawn on the page's canvas is about as tall).
SHARP_HEIGHT = 160


@dataclass(frozen=True)
class Found:
    """One number on the page: an image of its strokes alone, its box in the page's pixels, and its line."""

    image: Image.Image
    box: tuple[int, int, int, int]
    line: int
    scale: tuple[float, float]  # the page's pixels per pixel of `image`


def _shared(a: Group, b: Group) -> float:
    """How much of the smaller one's height the two share."""
    return max(0, min(a.y1, b.y1) - max(a.y0, b.y0)) / max(1, min(a.height, b.height))


def _chain(pieces: list[Group]) -> list[list[Group]]:
    """Strokes into lines, tallest first so that a line's backbone is its digits, not its dots."""
    lines: list[list[Group]] = []
    for s in sorted(pieces, key=lambda s: -s.height):
        best, best_score, best_gap = None, 0.0, 0
        for line in lines:
            # The strokes of the line nearest to this one, horizontally (within half its height of the nearest):
            # a slanting line is followed locally.
            gaps = [max(0, o.x0 - s.x1, s.x0 - o.x1) for o in line]
            gap = min(gaps)
            height = float(np.median([o.height for o in line]))
            # Sharing rows with one of them, or sitting on the same baseline: a small number beside a big one.
            score = max(
                max(_shared(o, s), 1 - abs(o.y1 - s.y1) / max(o.height, s.height))
                for o, g in zip(line, gaps, strict=True)
                if g <= gap + 0.5 * s.height
            )
            # Of the lines it could join, the nearest: two numbers apart on one line are two lines until
            # merged, and a stroke between them belongs to the one beside it.
            if score >= SHARE and gap <= JOIN_GAP * height and (best is None or gap < best_gap):
                best, best_score, best_gap = line, score, gap
            # A piece stacked on a stroke of the line, close to it: the bar of a 5 above its body, a broken stroke.
            # Small beside it, or nearly touching it: a 1 broken in two halves, one over the other. (A digit of
            # the line above is no piece: it is as tall as those of its own line, and a line's height away.)
            for o in line:
                columns = min(o.x1, s.x1) - max(o.x0, s.x0)
                apart = max(0, o.y0 - s.y1, s.y0 - o.y1)
                piece = s.height <= 0.5 * o.height or apart <= 0.25 * min(s.height, o.height)
                if piece and columns >= 0.5 * (s.x1 - s.x0) and apart <= 0.3 * o.height and 0.99 > best_score:
                    best, best_score, best_gap = line, 0.99, -1
        if best is None:
            lines.append([s])
        else:
            best.append(s)
    return sorted(
        _merge_level(_fold_pieces(lines)), key=lambda line: float(np.median([(s.y0 + s.y1) / 2 for s in line]))
    )


def _merge_level(lines: list[list[Group]]) -> list[list[Group]]:
    """Two lines side by side, on the same rows, are one line: numbers written far apart on it."""
    merged: list[list[Group]] = []
    for line in sorted(lines, key=lambda line: min(s.x0 for s in line)):
        box = _box(line)
        for other in merged:
            o = _box(other)
            apart = box.x0 >= o.x1 or o.x0 >= box.x1
            if apart and _shared(box, o) >= 0.6:
                other.extend(line)
                break
        else:
            merged.append(list(line))
    return merged


def _box(line: list[Group]) -> Group:
    """A line's box as a Group (for _shared)."""
    return Group(
        [], min(s.x0 for s in line), max(s.x1 for s in line), min(s.y0 for s in line), max(s.y1 for s in line), 0.0
    )


def _gap(a: Group, b: Group) -> int:
    """The distance between two strokes' boxes (0 when they overlap)."""
    return max(0, a.x0 - b.x1, b.x0 - a.x1) + max(0, a.y0 - b.y1, b.y0 - a.y1)


def _fold_pieces(lines: list[list[Group]]) -> list[list[Group]]:
    """A "line" of small strokes only, right beside a bigger stroke of another line, is pieces of that line's
    digits (a bar, a flag, a stroke broken where the pen lifted): it goes to that line. A small number written
    apart stays a line of its own."""
    tallest = [max(s.height for s in line) for line in lines]
    big = 0.5 * max(tallest)
    kept = [line for line, t in zip(lines, tallest, strict=True) if t >= big]
    # Smaller lines tallest first, each folding into a line kept before it: the bar of a small 5 joins its small
    # number, not a big line far off.
    small = sorted(((line, t) for line, t in zip(lines, tallest, strict=True) if t < big), key=lambda p: -p[1])
    for line, t in small:
        near = min(((_gap(s, o), b) for s in line for b in kept for o in b), key=lambda x: x[0], default=None)
        height = max(o.height for o in near[1]) if near is not None else 0
        wide = max(s.x1 for s in line) - min(s.x0 for s in line)
        if (
            near is not None
            and t <= 0.6 * height
            and near[0] <= 0.5 * height
            and wide <= FOLD_WIDTH * height
            and not _small_number(line, near[1])
        ):
            near[1].extend(line)
        else:
            kept.append(line)
    return kept


def _small_number(line: list[Group], big: list[Group]) -> bool:
    """Small digits written just above or below a line, not pieces of its digits: two or more strokes side by
    side, none of them a flat bar, clear of the line's rows (pieces of a line's digits overlap its rows, or are
    bars, or are one stroke)."""
    upright = [s for s in line if s.height >= 0.5 * s.width]
    side_by_side = any(a.x1 <= b.x0 for a in upright for b in upright)
    box, other = _box(line), _box(big)
    clear = max(other.y0 - box.y1, box.y0 - other.y1) >= 0.25 * box.height
    return side_by_side and len(upright) == len(line) and clear


def _numbers(line: list[Group]) -> list[list[Group]]:
    """A line split where a gap is wider than NUMBER_GAP of its digits' height."""
    tallest = max(s.height for s in line)
    height = float(np.median([s.height for s in line if s.height >= 0.5 * tallest]))
    numbers: list[list[Group]] = []
    right = None
    for s in sorted(line, key=lambda s: s.x0):
        if right is None or s.x0 - right > NUMBER_GAP * height:
            numbers.append([s])
        else:
            numbers[-1].append(s)
        right = max(s.x1, right if right is not None else s.x1)
    return numbers


def _sharper(img: Image.Image, box: tuple[int, int, int, int], own: np.ndarray, options: Options) -> Image.Image | None:
    """The number cut from the picture itself rather than from the page's ink map, which a big page shrinks to a
    few hundred pixels: there a small number is a few pixels tall, its comma merges into the digit before it and
    the gaps of a broken stroke close. Its own strokes only (the mask found on the ink map, grown by a pixel of it
    to keep their soft edges), dark on white. None where its crop holds no ink of its own."""
    x, y, w, h = box
    crop = img.crop((x, y, x + w, y + h))
    # No taller than a drawn number: more pixels cost time and memory and show no more of its strokes.
    factor = h // SHARP_HEIGHT
    if factor > 1 and crop.mode in AVERAGED:
        crop = crop.reduce(factor)
    try:
        ink = ink_map(crop, options)
    except DigitpredError:
        return None
    grown = ndimage.binary_dilation(own, iterations=1)
    mask = np.asarray(Image.fromarray(grown).resize((ink.shape[1], ink.shape[0]), Image.NEAREST))
    if not (mask & (ink > 0)).any():
        return None
    return _own_strokes(ink, mask)


def _own_strokes(ink: np.ndarray, own: np.ndarray) -> Image.Image:
    """A number's own strokes only, dark on white: a neighbouring line's tail is not part of it."""
    return Image.fromarray(np.where(own, 255 - np.round(ink * 255), 255).astype(np.uint8), mode="L")


def find_numbers(img: Image.Image, options: Options | None = None) -> list[Found]:
    """Every number on the page, top line first, left to right on each line."""
    options = options or Options()
    ink = ink_map(img, options)
    labels, found_strokes = strokes(ink)
    heaviest = max(s.mass for s in found_strokes)
    kept = [s for s in found_strokes if s.mass >= SPECK * heaviest]
    # Specks are left out of the lines, not out of the numbers: one inside a number's box may be its point, too
    # light beside the page's big digits (the number's reading tells points from specks against its own digits).
    specks = [s for s in found_strokes if s.mass < SPECK * heaviest]
    given = [label for s in specks for label in s.labels]
    if len(specks) > NOISY_FROM:
        # A grainy page (a noisy scan, dust on a photo): its specks are noise, which would only muddle the numbers'
        # reading, and clumps of them smaller than the pen would be read as numbers of their own. What is under a
        # pen wide joins no line; a number takes back what of it, over half a pen, lies among its strokes: a point.
        pen = float(np.median([pen_width(labels, s) for s in kept if s.mass >= 0.1 * heaviest]))
        small = [s for s in kept if max(s.width, s.height) < 0.8 * pen]
        given = [label for s in small if max(s.width, s.height) >= 0.5 * pen for label in s.labels]
        kept = [s for s in kept if max(s.width, s.height) >= 0.8 * pen]
    if len(kept) > MAX_STROKES:
        raise TooManyDigits(f"The image holds {len(kept)} separate marks: more than a page of {MAX_NUMBERS} numbers.")
    scale = (img.width / ink.shape[1], img.height / ink.shape[0])
    found: list[Found] = []
    for index, line in enumerate(_chain(kept)):
        for number in _numbers(line):
            x0, x1 = min(s.x0 for s in number), max(s.x1 for s in number)
            y0, y1 = min(s.y0 for s in number), max(s.y1 for s in number)
            pad = max(2, (y1 - y0) // 4)
            x0, y0 = max(0, x0 - pad), max(0, y0 - pad)
            x1, y1 = min(ink.shape[1], x1 + pad), min(ink.shape[0], y1 + pad)
            own = np.isin(labels[y0:y1, x0:x1], [label for s in number for label in s.labels] + given)
            box = scaled_box((x0, y0, x1 - x0, y1 - y0), scale)
            shrunk = max(scale) > SHARPER_FROM and y1 - y0 < SHARP_HEIGHT / SHARPER_FROM
            sharp = _sharper(img, box, own, options) if shrunk else None
            if sharp is not None:
                found.append(Found(sharp, box, index, (box[2] / sharp.width, box[3] / sharp.height)))
            else:
                found.append(Found(_own_strokes(ink[y0:y1, x0:x1], own), box, index, scale))
    if len(found) > MAX_NUMBERS:
        raise TooManyDigits(f"The image holds {len(found)} numbers; at most {MAX_NUMBERS} are read.")
    return found
