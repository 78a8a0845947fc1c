"""An image of a number written in a row -> its digits, left to right, each normalised like a single digit.

Connected strokes are found on the same ink map as single digits. Pieces that share a column range join into
one digit (the bar of a 5 or a 7, the halves of a 4, a dotted stroke); a piece much wider than the row is tall
holds touching digits and is cut where the fewest ink columns are; specks far smaller than the digits go.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from digitpred.ml.errors import NoDigit, TooManyDigits
from digitpred.ml.preprocess import Options, ink_map, to_field

Scorer = Callable[[np.ndarray], np.ndarray]

MAX_DIGITS = 12
# A group wider than this many times its height holds touching digits.
SPLIT_ASPECT = 1.15
# A typical digit's width as a share of the row's height, for guessing how many digits touch.
DIGIT_ASPECT = 0.7


@dataclass(frozen=True)
class Piece:
    field: np.ndarray  # the 28×28 image the model sees
    box: tuple[int, int, int, int]  # x, y, width, height in the image's own pixels


@dataclass
class _Group:
    labels: list[int]
    x0: int
    x1: int
    y0: int
    y1: int
    mass: float

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def absorb(self, other: _Group) -> None:
        self.labels += other.labels
        self.x0, self.x1 = min(self.x0, other.x0), max(self.x1, other.x1)
        self.y0, self.y1 = min(self.y0, other.y0), max(self.y1, other.y1)
        self.mass += other.mass


def _overlap(a: _Group, b: _Group) -> int:
    return min(a.x1, b.x1) - max(a.x0, b.x0)


def _groups(ink: np.ndarray) -> tuple[np.ndarray, list[_Group]]:
    labels, n = ndimage.label(ink > 0.3, structure=np.ones((3, 3)))
    if n == 0:
        raise NoDigit()
    mass = np.bincount(labels.ravel(), weights=ink.ravel(), minlength=n + 1)[1:]
    pieces = [
        _Group([i + 1], s[1].start, s[1].stop, s[0].start, s[0].stop, float(mass[i]))
        for i, s in enumerate(ndimage.find_objects(labels))
    ]
    row_height = max(p.height for p in pieces)
    # Tall pieces are digits or most of one; short ones are bars, halves, dots and broken bits of them.
    major = sorted((p for p in pieces if p.height >= 0.45 * row_height), key=lambda g: g.x0)
    minor = [p for p in pieces if p.height < 0.45 * row_height]
    groups: list[_Group] = []
    for piece in major:
        # Most of the narrower one's columns shared: the same digit.
        if groups and _overlap(groups[-1], piece) >= 0.5 * min(groups[-1].width, piece.width):
            groups[-1].absorb(piece)
        else:
            groups.append(piece)
    for piece in sorted(minor, key=lambda g: -g.mass):
        # A short piece joins the digit it shares most columns with, or the nearest one close by.
        best = max(groups, key=lambda g: _overlap(g, piece), default=None)
        if best is not None and _overlap(best, piece) > -0.25 * row_height:
            best.absorb(piece)
        else:
            groups.append(piece)
    groups.sort(key=lambda g: g.x0)
    return labels, groups


def _row_height(groups: list[_Group]) -> int:
    """The height of the row: the tallest of the groups that carry real weight (not a long stray line)."""
    heaviest = max(g.mass for g in groups)
    return max(g.height for g in groups if g.mass >= 0.2 * heaviest)


def _drop_specks(groups: list[_Group]) -> list[_Group]:
    """Specks and stray dots: far lighter and far shorter than the digits of the row."""
    heaviest = max(g.mass for g in groups)
    row_height = _row_height(groups)
    return [g for g in groups if g.mass >= 0.06 * heaviest or g.height >= 0.35 * row_height]


def _cuts(ink: np.ndarray, group: _Group, count: int) -> list[int]:
    """Columns at which a group is cut into `count` digits: the emptiest columns among the profile's valleys,
    not far from an even share of the width each."""
    profile = ndimage.uniform_filter1d(ink[group.y0 : group.y1, group.x0 : group.x1].sum(axis=0), 3)
    step = group.width / count
    margin = int(0.3 * step)
    inner = profile[margin : group.width - margin]
    if count < 2 or inner.size < 3:
        return [int(group.x0 + i * step) for i in range(1, count)]
    valleys = [i + margin for i in range(1, inner.size - 1) if inner[i] <= inner[i - 1] and inner[i] <= inner[i + 1]]
    valleys = sorted(valleys, key=lambda i: profile[i])[:12]
    if len(valleys) < count - 1:
        return [int(group.x0 + i * step) for i in range(1, count)]
    scale = float(profile.max()) or 1.0
    ideal = [i * step for i in range(1, count)]

    def cost(cuts: tuple[int, ...]) -> float:
        return sum(profile[c] / scale + ((c - t) / step) ** 2 for c, t in zip(cuts, ideal, strict=True))

    best = min(itertools.combinations(sorted(valleys), count - 1), key=cost)
    return [group.x0 + c for c in best]


def _split(
    ink: np.ndarray, region: np.ndarray, group: _Group, count: int, even: bool = False
) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """The group's ink cut into `count` parts (at the profile's valleys, or evenly): each part's 28×28 field
    and its box in work pixels."""
    cuts = [int(group.x0 + i * group.width / count) for i in range(1, count)] if even else _cuts(ink, group, count)
    edges = [group.x0, *cuts, group.x1]
    parts = []
    for left, right in zip(edges[:-1], edges[1:], strict=True):
        part = region[:, left - group.x0 : right - group.x0]
        ys, xs = np.nonzero(part > 0.05)
        if ys.size == 0:
            continue
        crop = part[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        parts.append((to_field(crop), (left + int(xs.min()), group.y0 + int(ys.min()), crop.shape[1], crop.shape[0])))
    return parts


def _best_split(
    ink: np.ndarray, region: np.ndarray, group: _Group, row_height: int, score: Scorer | None
) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """Touching digits: how many a group holds. With a model at hand, the count whose parts it reads most
    surely (a split must earn its keep); without one, the group's width against the row's height."""
    height = max(group.height, int(0.8 * row_height))
    guess = max(1, round(group.width / (DIGIT_ASPECT * height)))
    if group.width <= SPLIT_ASPECT * height:
        guess = 1
    if score is None or group.width <= 0.9 * height:
        return _split(ink, region, group, guess)
    candidates = [_split(ink, region, group, k) for k in range(1, guess + 3)]
    candidates += [_split(ink, region, group, k, even=True) for k in range(2, guess + 3)]
    candidates = [c for c in candidates if c]
    fields = np.stack([field for c in candidates for field, _ in c])
    confidence = score(fields).max(axis=1)
    # A group read surely as one digit, and not far wider than one, is one digit: halves of a wide 0 or a 2
    # with a long tail read surely too, so the reading of the parts alone cannot be trusted there.
    if len(candidates[0]) == 1 and confidence[0] >= 0.95 and group.width <= 1.6 * height:
        return candidates[0]
    best, best_value, i = candidates[0], -np.inf, 0
    for c in candidates:
        # How surely the parts read, less a little for each cut, less a lot for parts far wider than a digit.
        too_wide = sum(max(0.0, w / max(h, 0.8 * row_height) - 1.3) for _, (_, _, w, h) in c)
        value = float(np.mean(np.log(confidence[i : i + len(c)] + 1e-9))) - 0.03 * (len(c) - 1) - 2.0 * too_wide
        i += len(c)
        if value > best_value:
            best, best_value = c, value
    return best


def segment(img: Image.Image, options: Options | None = None, score: Scorer | None = None) -> list[Piece]:
    """The digits of a number written in a row, left to right.

    `score` (N×28×28 fields -> N×10 probabilities) lets the model judge where touching digits split.
    """
    ink = ink_map(img, options or Options())
    labels, groups = _groups(ink)
    groups = _drop_specks(groups)
    row_height = _row_height(groups)
    sx, sy = img.width / ink.shape[1], img.height / ink.shape[0]
    pieces: list[Piece] = []
    for group in groups:
        member = np.isin(labels[group.y0 : group.y1, group.x0 : group.x1], group.labels)
        # Keep the soft rim around the strokes, as for single digits.
        member = ndimage.maximum_filter(member, size=5)
        region = np.where(member, ink[group.y0 : group.y1, group.x0 : group.x1], 0.0)
        for field, (x, y, w, h) in _best_split(ink, region, group, row_height, score):
            box = (int(x * sx), int(y * sy), max(1, round(w * sx)), max(1, round(h * sy)))
            pieces.append(Piece(field, box))
    if not pieces:
        raise NoDigit()
    if len(pieces) > MAX_DIGITS:
        raise TooManyDigits(f"The image holds {len(pieces)} digits; at most {MAX_DIGITS} are read.")
    return pieces
