"""An image of a number written in a row -> its digits, left to right, each normalised like a single digit.

Over-segmentation, then a search that the model's reading drives. Connected strokes are found on the same ink
map as single digits; pieces that share most of a column range form one group (the halves of a 4, a dotted
stroke), and a group wider than a digit gets candidate cuts: straight down the valleys of the ink profile and of
the upper and lower contours, where touching digits meet, and bent round the strokes from there where digits
lean into each other or overlap. Every stretch of the row between two cuts that could be one digit is a
candidate. All candidates go through the model in one batch, and dynamic programming picks the split whose
digits read most surely, weighed by how much each candidate looks like a whole digit (how well its field fits
the usual shapes of the class read, its width for that class, its height against the row's). Neighbouring
groups can so merge as well as split: the detached bar of a 5, a broken stroke.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from PIL import Image
from scipy import ndimage

from digitpred.ml.errors import NoDigit, TooManyDigits
from digitpred.ml.model import NOT_A_DIGIT
from digitpred.ml.preprocess import Options, ink_map, stroke_width, to_field, with_rim
from digitpred.ml.shapes import misfit

Scorer = Callable[[np.ndarray], np.ndarray]

MAX_DIGITS = 12
# A number of MAX_DIGITS digits, each drawn in a few strokes at most: more separate marks than this are no number
# (grain, a texture, a page of writing), and are refused before the search, which they would keep busy for seconds.
MAX_GROUPS = 4 * MAX_DIGITS
# log(width / height) of each class's ink box: mean and spread over 20,000 MNIST training digits
# (ink above 60 of 255; the first 20,000 of the training split); the prior on a candidate's shape for the class
# it is read as.
ASPECT_MEAN = np.array([-0.102, -0.888, -0.070, -0.224, -0.228, -0.064, -0.325, -0.255, -0.274, -0.383])
ASPECT_SPREAD = np.array([0.196, 0.459, 0.223, 0.215, 0.206, 0.265, 0.218, 0.216, 0.220, 0.204])
# Weights of the search's terms, tuned on rows made from held-out digits with their own seed.
ASPECT_WEIGHT = 0.5
ASPECT_TAIL = 3.0
ODDS_WEIGHT = 0.3
ODDS_CAP = 14.0
# The model reads anything as some digit, often surely: two touching 7s as one 7. A candidate whose field leaves
# more than MISFIT_FREE of its ink outside the shapes of the class it is read as (shapes.misfit) is no whole digit
# of that class. Whole digits drawn in a row leave about 0.1 to 0.3, two digits run together 0.3 to 0.5.
MISFIT_WEIGHT = 10.0
MISFIT_FREE = 0.15
HEIGHT_WEIGHT = 2.0
# Below this share of the row's digit height a candidate is shorter than any digit of the row.
SHORT = 0.85
SHORT_SPREAD = 0.2
# However short, a candidate costs at most this for it: a small digit standing on its own, a quarter of the row's
# height, can still win on a sure reading, where a fragment beside its digit joins it for far less.
SHORT_CAP = 8.0
# Each digit read adds this much (the log-odds already reward each sure reading, so it is a cost here).
PER_DIGIT = -1.0
# A cut through a group costs this, and this much more for each stroke it crosses.
CUT_COST = 0.0
RUN_COST = 0.5
# Joining groups that stand apart costs this much per digit height of empty columns between them.
JOIN_GAP = 10.0
# A candidate is at most this many digit heights wide; groups wider than CUT_FROM get cut.
MAX_WIDTH = 1.5
CUT_FROM = 0.75
# A cut crosses at most this many strokes.
MAX_RUNS = 2
# Candidate cuts are at least this many digit heights apart, and from a group's edges.
CUT_SPACING = 0.1
# A bent cut strays at most this many digit heights from the column it starts from, and each column it moves
# sideways costs as much as this much ink: it bends round strokes but runs straight through empty space.
PATH_REACH = 0.3
PATH_SLOPE = 0.1
# A bent cut leaves at least this share of its group's ink on either side.
MIN_SIDE = 0.08
# A candidate whose shape and gaps alone cost more than this is never read: no reading could make up for it
# (the best reading is worth ODDS_WEIGHT * ODDS_CAP). On the tuning rows it skips one candidate in twenty and
# changes no reading.
PRUNE_BELOW = -8.0
# In a row with loose pieces (digits drawn in broken strokes), a point stands at least this many digit heights
# clear of the digits on either side, and at least RIGHT_CLEARANCE clear of the next digit: the first dash of a
# broken digit lies low right against it (a comma tucks under the digit before it instead). Tuned on the tuning
# numbers, decimals and pages.
POINT_CLEARANCE = 0.04
RIGHT_CLEARANCE = 0.12
# The quick reading (_settled): every group at most this many digit heights wide and at least this tall, read as a
# digit with at least this probability and no further than this from the digit's usual shapes.
SETTLED_WIDTH = 1.3
SETTLED_HEIGHT = 0.6
SETTLED_SURE = 0.97
SETTLED_MISFIT = 0.4


@dataclass(frozen=True)
class Piece:
    field: np.ndarray  # the 28×28 image the model sees
    box: tuple[int, int, int, int]  # x, y, width, height in the image's own pixels
    # The model's reading of the field (10 or 11 probabilities) when segmentation had the model at hand.
    probabilities: np.ndarray | None = None


@dataclass(frozen=True)
class Mark:
    """A mark of the number that is not a digit: "point" (a dot or a comma on the baseline, between digits) or
    "minus" (a short level bar before the first digit)."""

    kind: str
    box: tuple[int, int, int, int]  # x, y, width, height in the image's own pixels


@dataclass(frozen=True)
class Row:
    """A row read: its digits, left to right, and its points and sign."""

    pieces: list[Piece]
    marks: list[Mark]


@dataclass
class Group:
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

    def absorb(self, other: Group) -> None:
        self.labels += other.labels
        self.x0, self.x1 = min(self.x0, other.x0), max(self.x1, other.x1)
        self.y0, self.y1 = min(self.y0, other.y0), max(self.y1, other.y1)
        self.mass += other.mass


@dataclass(frozen=True)
class _Region:
    """A group's ink in its box, other groups' ink left out."""

    ink: np.ndarray
    x0: int
    y0: int


@dataclass(frozen=True)
class _Cut:
    """Where one candidate digit ends and the next begins: a group's left edge (path None), or a path down
    through a group, the group's first column right of the cut on each of its rows."""

    group: int
    path: np.ndarray | None
    runs: int  # strokes the cut crosses

    @property
    def at(self) -> float:
        return 0.0 if self.path is None else float(self.path.mean())


def scaled_box(
    box: tuple[int, int, int, int], scale: tuple[float, float], offset: tuple[int, int] = (0, 0)
) -> tuple[int, int, int, int]:
    """A box (x, y, w, h) in another image's pixels: offset + box × scale, at least a pixel a side. Rows are read
    on a smaller ink map, and a page's numbers are read from crops of it."""
    x, y, w, h = box
    return (
        int(offset[0] + x * scale[0]),
        int(offset[1] + y * scale[1]),
        max(1, round(w * scale[0])),
        max(1, round(h * scale[1])),
    )


def _overlap(a: Group, b: Group) -> int:
    return min(a.x1, b.x1) - max(a.x0, b.x0)


def strokes(ink: np.ndarray) -> tuple[np.ndarray, list[Group]]:
    """The ink's connected strokes, each a Group of one label, and the label map; NoDigit when there is none."""
    labels, n = ndimage.label(ink > 0.3, structure=np.ones((3, 3)))
    if n == 0:
        raise NoDigit()
    mass = np.bincount(labels.ravel(), weights=ink.ravel(), minlength=n + 1)[1:]
    found = [
        Group([i + 1], s[1].start, s[1].stop, s[0].start, s[0].stop, float(mass[i]))
        for i, s in enumerate(ndimage.find_objects(labels))
    ]
    return labels, found


def _groups(ink: np.ndarray) -> tuple[np.ndarray, list[Group]]:
    labels, pieces = strokes(ink)
    row_height = max(p.height for p in pieces)
    # Tall pieces are digits or most of one; short ones are bars, halves, dots and broken bits of them.
    major = sorted((p for p in pieces if p.height >= 0.45 * row_height), key=lambda g: g.x0)
    if len(major) > MAX_GROUPS:
        raise _too_many_marks(len(major))
    # Specks far smaller than the pen are no part of any digit, point or sign (grain of a scan, dust): out before
    # they join a digit's group and stretch its box.
    pen = float(np.median([pen_width(labels, p) for p in major]))
    minor = [p for p in pieces if p.height < 0.45 * row_height and max(p.width, p.height) >= 0.5 * pen]
    groups: list[Group] = []
    for piece in major:
        # Most of the narrower one's columns shared: the same digit.
        if groups and _overlap(groups[-1], piece) >= 0.5 * min(groups[-1].width, piece.width):
            groups[-1].absorb(piece)
        else:
            groups.append(piece)
    apart: set[int] = set()
    for piece in sorted(minor, key=lambda g: -g.mass):
        # A short piece joins the group it shares most of its columns with; one beside the groups stays
        # apart, and the search decides which neighbour it belongs to.
        best = max(groups, key=lambda g: _overlap(g, piece), default=None)
        if best is not None and _overlap(best, piece) >= 0.5 * piece.width:
            best.absorb(piece)
        else:
            groups.append(piece)
            apart.add(id(piece))
    top = float(np.median([p.y0 for p in major]))
    for piece in [p for p in minor if id(p) in apart]:
        _join_flag(piece, groups, top, row_height)
    groups.sort(key=lambda g: g.x0)
    if len(groups) > MAX_GROUPS:
        raise _too_many_marks(len(groups))
    return labels, groups


def _too_many_marks(count: int) -> TooManyDigits:
    return TooManyDigits(f"The image holds {count} separate marks; a number has at most {MAX_DIGITS} digits.")


def _join_flag(piece: Group, groups: list[Group], top: float, row_height: int) -> None:
    """The flag of a 5 written as a stroke of its own may reach right, past the body, over nothing: read alone
    it is a digit of its own, and with the body too wide for one. A flat piece level with the tops of the digits,
    starting at the top right of the digit before it, joins that digit."""
    flat = piece.height <= 0.35 * row_height and piece.width >= 2 * piece.height
    if not flat or piece.y1 > top + 0.3 * row_height:
        return
    reach = 0.15 * row_height
    before = [
        g
        for g in groups
        if g is not piece
        and g.height >= 0.45 * row_height
        and piece.x0 - reach <= g.x1 <= piece.x0 + 0.3 * piece.width
        and g.x0 < piece.x0
    ]
    if before:
        max(before, key=lambda g: g.x1).absorb(piece)
        groups[:] = [g for g in groups if g is not piece]


def _member(labels: np.ndarray, group: Group) -> np.ndarray:
    """Which pixels of the group's box are its own ink (not another group's passing through)."""
    return np.isin(labels[group.y0 : group.y1, group.x0 : group.x1], group.labels)


def pen_width(labels: np.ndarray, group: Group) -> float:
    """A group's pen width: the stroke width (preprocess.stroke_width) of its own ink."""
    return stroke_width(_member(labels, group).astype(np.float32))


def _filled(labels: np.ndarray, group: Group) -> float:
    """The share of its box that a group's ink covers."""
    mask = _member(labels, group)
    return float(mask.mean()) if mask.size else 0.0


def _marks(groups: list[Group], ink: np.ndarray, labels: np.ndarray) -> tuple[list[Group], list[tuple[str, Group]]]:
    """Points and a leading minus, taken out of the digits' way: (the groups left, the marks found).

    Told from specks, bars of digits and stray dots by size against the row's digits and pen, and by place: a
    point sits low, on the baseline, in a gap between two digits; a minus is level, mid-height, before the first
    digit and close to it."""
    tallest = max(g.height for g in groups)
    digits = [g for g in groups if g.height >= 0.5 * tallest]
    if len(groups) < 2 or not digits:
        return groups, []
    height = float(np.median([d.height for d in digits]))
    top, bottom = float(np.median([d.y0 for d in digits])), float(np.median([d.y1 for d in digits]))
    # A long comma is as tall as half a digit, but no digit of the row starts that far down.
    digits = [d for d in digits if not (d.y0 >= top + 0.45 * height and d.height <= 0.7 * height)]
    pen = float(np.median([pen_width(labels, d) for d in digits]))
    first = min(d.x0 for d in digits)
    found: list[tuple[str, Group]] = []
    for g in groups:
        if g in digits:
            continue
        w, h, cx, cy = g.width, g.height, (g.x0 + g.x1) / 2, (g.y0 + g.y1) / 2
        # Digits, or big parts of them (the body of a 5 whose bar came apart), on either side, and none above or
        # below it: a piece under a digit is part of it.
        big = [o for o in groups if o is not g and max(o.width, o.height) >= 0.5 * height]
        beside = all(_overlap(o, g) <= 0.3 * w for o in big + digits)
        left = [o for o in big if (o.x0 + o.x1) / 2 < cx]
        right = [o for o in big if (o.x0 + o.x1) / 2 > cx]
        between = bool(left and right)
        # Low against the digits beside it: a slanted row's baseline rises or falls from one digit to the next.
        near_top, near_bottom = _level(cx, digits, top, bottom)
        near = near_bottom - near_top
        low = g.y0 >= near_top + 0.5 * near and cy >= near_top + 0.65 * near and g.y1 <= near_bottom + 0.5 * near
        # A dot of the pen: solid, a few pen widths at most (a small digit drawn with the same pen is open and
        # more strokes across). A comma: a short tick down from the baseline, one pen wide.
        dot = max(w, h) <= min(0.35 * height, 2.5 * pen) and min(w, h) >= 0.75 * pen and _filled(labels, g) >= 0.4
        comma = (
            w <= min(h / 1.3, 2.0 * pen)
            and 0.8 * pen <= h <= min(0.65 * height, 4.5 * pen)
            and g.y1 >= near_bottom - 0.15 * height
        )
        # Clear of the digits on both sides, where the row has other loose pieces (a digit drawn in broken
        # strokes, whose last dash hangs right beside it); in a row of whole digits, not overlapping them is enough.
        # (A minus before the first digit is no loose piece of a digit.)
        loose = sum(
            1
            for o in groups
            if o is not g and o not in digits and max(o.width, o.height) < 0.5 * height and o.x1 > first
        )
        margin = POINT_CLEARANCE * height if dot and loose else 0.0
        ahead = RIGHT_CLEARANCE * height if loose else 0.0
        # A comma written in one go with the digit before it may start under that digit's last stroke.
        tuck = 0.3 * w if comma and not loose else 0.0
        clear = between and (
            g.x0 - max(o.x1 for o in left) >= margin - tuck and min(o.x0 for o in right) - g.x1 >= max(margin, ahead)
        )
        if beside and between and clear and low and (dot or comma):
            found.append(("point", g))
        elif (
            beside
            and g.x1 <= first + 0.1 * w
            and first - g.x1 <= 1.2 * height
            and 0.25 * height <= w <= 1.2 * height
            and (h <= 0.45 * w or h - pen <= 0.45 * (w - pen))  # flat, or its stroke is: a short bar of a thick pen
            and h <= 0.3 * height
            and top + 0.15 * height <= cy <= top + 0.8 * height
            and not any(o.x1 <= g.x0 for o in groups if o is not g)  # nothing before it
        ):
            found.append(("minus", g))
    found = _one_point_per_gap(found, groups)
    taken = {id(g) for _, g in found}
    return [g for g in groups if id(g) not in taken], found


def _level(x: float, digits: list[Group], top: float, bottom: float) -> tuple[float, float]:
    """The row's top and baseline at column x: drawn from the nearest digit on either side to the other (the row's
    median where there is none on a side)."""
    left = max((d for d in digits if (d.x0 + d.x1) / 2 <= x), key=lambda d: d.x0 + d.x1, default=None)
    right = min((d for d in digits if (d.x0 + d.x1) / 2 > x), key=lambda d: d.x0 + d.x1, default=None)
    if left is None or right is None:
        return top, bottom
    a, b = (left.x0 + left.x1) / 2, (right.x0 + right.x1) / 2
    t = (x - a) / max(b - a, 1.0)
    return left.y0 + t * (right.y0 - left.y0), left.y1 + t * (right.y1 - left.y1)


def _one_point_per_gap(found: list[tuple[str, Group]], groups: list[Group]) -> list[tuple[str, Group]]:
    """Two points with nothing but each other between them are never a number's: the rounder is the point, and
    the other a bit broken off the digit beside it (an 8 drawn in broken strokes drops a dot before its loop),
    left to the groups for the search to join."""
    points = sorted((g for kind, g in found if kind == "point"), key=lambda g: g.x0)
    marked = {id(g) for _, g in found}
    dropped: set[int] = set()
    for a, b in pairwise(points):
        if any(id(g) not in marked and a.x1 <= (g.x0 + g.x1) / 2 <= b.x0 for g in groups):
            continue
        dropped.add(id(max((b, a), key=lambda g: max(g.width, g.height) / max(min(g.width, g.height), 1))))
    return [(kind, g) for kind, g in found if id(g) not in dropped]


def _drop_specks(groups: list[Group]) -> list[Group]:
    """Specks and stray dots: far lighter and far shorter than the digits of the row."""
    heaviest = max(g.mass for g in groups)
    row_height = max(g.height for g in groups if g.mass >= 0.2 * heaviest)
    return [g for g in groups if g.mass >= 0.06 * heaviest or g.height >= 0.35 * row_height]


def _digit_height(groups: list[Group]) -> float:
    """A digit's height in this row: the median of the groups that are not fragments."""
    tallest = max(g.height for g in groups)
    return float(np.median([g.height for g in groups if g.height >= 0.6 * tallest]))


def _local_minima(values: np.ndarray) -> list[int]:
    inner = values[1:-1]
    return list(np.flatnonzero((inner <= values[:-2]) & (inner <= values[2:])) + 1)


def _cut_columns(region: np.ndarray, height: float) -> list[int]:
    """Where touching digits may meet, in the group's own columns: valleys of the ink profile, low points of
    the upper contour and high points of the lower one. Close candidates keep the one with the least ink."""
    strong = region > 0.5
    width = region.shape[1]
    profile = ndimage.uniform_filter1d(region.sum(axis=0), 3)
    rows = np.arange(region.shape[0])[:, None]
    top = np.where(strong, rows, region.shape[0]).min(axis=0).astype(float)
    bottom = np.where(strong, rows, -1).max(axis=0).astype(float)
    top = ndimage.uniform_filter1d(top, 3)
    bottom = ndimage.uniform_filter1d(bottom, 3)
    found = set(_local_minima(profile)) | set(_local_minima(-top)) | set(_local_minima(bottom))
    spacing = max(2, int(CUT_SPACING * height))
    found = [c for c in found if spacing <= c <= width - spacing]
    chosen: list[int] = []
    for c in sorted(found, key=lambda c: profile[c]):
        if all(abs(c - k) >= spacing for k in chosen):
            chosen.append(c)
    return sorted(chosen)


def _runs(strong: np.ndarray, path: np.ndarray) -> int:
    """Strokes that a cut along this path (a column per row) crosses."""
    inked = strong[np.arange(len(path)), np.minimum(path, strong.shape[1] - 1)].astype(np.int8)
    return int(np.count_nonzero(np.diff(inked) == 1) + inked[0])


def _bent_paths(region: np.ndarray, anchors: list[int], reach: int) -> list[np.ndarray]:
    """From each anchor column, the way down through the group that crosses the least ink: one column per row,
    moving at most a column a row (each column sideways costs PATH_SLOPE) and at most `reach` from the anchor.
    Digits that lean into each other or overlap leave a slanted or curved gap that no straight cut finds."""
    h, w = region.shape
    span = 2 * reach + 1
    # Every anchor's window of columns side by side in one line, with a column of infinite cost after each, so
    # that one pass of shifted minima serves them all and no path steps from one window into the next.
    cols = np.asarray(anchors)[:, None] + np.arange(-reach, reach + 2)[None, :]
    blocked = (cols < 1) | (cols > w - 1)
    blocked[:, -1] = True
    cost = np.where(blocked[None], np.inf, region[:, np.clip(cols, 0, w - 1)]).reshape(h, -1)
    total = cost[0].copy()
    back = np.zeros(cost.shape, dtype=np.int8)
    for r in range(1, h):
        best = total.copy()
        left = total[:-1] + PATH_SLOPE
        take = left < best[1:]
        best[1:][take] = left[take]
        back[r, 1:][take] = -1
        right = total[1:] + PATH_SLOPE
        take = right < best[:-1]
        best[:-1][take] = right[take]
        back[r, :-1][take] = 1
        total = best + cost[r]
    ends = total.reshape(len(anchors), -1).argmin(axis=1) + np.arange(len(anchors)) * (span + 1)
    at = np.empty((h, len(anchors)), dtype=np.int64)
    at[-1] = ends
    for r in range(h - 1, 0, -1):
        at[r - 1] = at[r] + back[r, at[r]]
    return list(cols.ravel()[at.T])


def _cuts(region: np.ndarray, height: float, group: int) -> list[_Cut]:
    """Candidate cuts through a group, in order of where they lie: straight down the columns where touching
    digits may meet, and bent round the strokes from there where that crosses fewer of them. Straight and bent
    cuts from one column cross each other, so no candidate digit lies between them."""
    strong = region > 0.5
    h, w = region.shape
    anchors = _cut_columns(region, height)
    if not anchors:
        return []
    spacing = max(2, int(CUT_SPACING * height))
    columns = np.arange(w)[None, :]
    total = int(strong.sum())
    cuts: list[_Cut] = []
    crossed = [_runs(strong, np.full(h, c, dtype=np.int64)) for c in anchors]
    for c, runs in zip(anchors, crossed, strict=True):
        # Where two digits touch, a cut crosses a stroke or two; one through more is inside a digit.
        if runs <= MAX_RUNS:
            cuts.append(_Cut(group, np.full(h, c, dtype=np.int64), runs))
    # Only a straight cut that crosses ink can be bettered.
    inked = [(c, runs) for c, runs in zip(anchors, crossed, strict=True) if runs]
    bent = _bent_paths(region, [c for c, _ in inked], max(1, int(PATH_REACH * height))) if inked else []
    for path, (_, line_runs) in zip(bent, inked, strict=True):
        runs = _runs(strong, path)
        if runs >= min(line_runs, MAX_RUNS + 1) or any(np.abs(path - c.path).mean() < spacing for c in cuts):
            continue
        # Each side keeps a fair share of the group's ink: a path down the group's edge cuts nothing off.
        left = int((strong & (columns < path[:, None])).sum())
        if min(left, total - left) < MIN_SIDE * total:
            continue
        cuts.append(_Cut(group, path, runs))
    return sorted(cuts, key=lambda c: c.at)


def _part(region: _Region, left: np.ndarray | None, right: np.ndarray | None) -> tuple[np.ndarray, int, int] | None:
    """A group's ink between two cuts (None: its edge), cropped: the crop and its top-left in work pixels."""
    ink = region.ink
    if left is not None or right is not None:
        columns = np.arange(ink.shape[1])[None, :]
        keep = np.ones(ink.shape, dtype=bool)
        if left is not None:
            keep &= columns >= left[:, None]
        if right is not None:
            keep &= columns < right[:, None]
        ink = np.where(keep, ink, 0.0)
    cols = np.flatnonzero((ink > 0.05).any(axis=0))
    if cols.size == 0:
        return None
    rows = np.flatnonzero((ink > 0.05).any(axis=1))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return crop, region.x0 + int(cols[0]), region.y0 + int(rows[0])


def _compose(parts: list[tuple[np.ndarray, int, int]]) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """Parts of neighbouring groups as one crop and its box in work pixels (None when it holds no strong ink)."""
    x0 = min(x for _, x, _ in parts)
    y0 = min(y for _, _, y in parts)
    x1 = max(x + crop.shape[1] for crop, x, _ in parts)
    y1 = max(y + crop.shape[0] for crop, _, y in parts)
    canvas = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
    for crop, x, y in parts:
        view = canvas[y - y0 : y - y0 + crop.shape[0], x - x0 : x - x0 + crop.shape[1]]
        np.maximum(view, crop, out=view)
    if not (canvas > 0.3).any():
        return None
    return canvas, (x0, y0, x1 - x0, y1 - y0)


def _shape_terms(box: tuple[int, int, int, int], height: float) -> tuple[np.ndarray, float]:
    """Log-prior of the candidate's width for each class, and of its height against the row's."""
    _, _, w, h = box
    # Against the row's height where the candidate is taller: two digits side by side at different heights
    # make a box taller than either, which would hide how wide it is.
    z = (np.log(w / min(h, height)) - ASPECT_MEAN) / ASPECT_SPREAD
    # Heavy tails (Student's t): a rare wide 0 or 6 must still be able to win on its reading.
    aspect = -0.5 * (ASPECT_TAIL + 1) * np.log1p(z * z / ASPECT_TAIL)
    short = min(0.0, np.log(h / (SHORT * height)))
    return aspect, -0.5 * (short / SHORT_SPREAD) ** 2


def _search(values: dict[tuple[int, int], float], cut_cost: list[float], n: int) -> list[tuple[int, int]]:
    """The run of spans from cut 0 to cut n with the highest total value, less the cost of each cut made."""
    best = np.full(n + 1, -np.inf)
    best[0] = 0.0
    back = [0] * (n + 1)
    for (i, j), value in sorted(values.items(), key=lambda item: item[0][1]):
        total = best[i] + value - cut_cost[i]
        if total > best[j]:
            best[j], back[j] = total, i
    if not np.isfinite(best[n]):
        return []
    path, j = [], n
    while j > 0:
        path.append((back[j], j))
        j = back[j]
    return path[::-1]


@dataclass
class _Candidates:
    """Every stretch of the row between two cuts that might be one digit, ready for the model."""

    cuts: list[_Cut]  # the groups' left edges and the cuts through them, left to right; one more ends the row
    spans: list[tuple[int, int]]  # candidate digits, as the cuts at their left and right
    boxes: list[tuple[int, int, int, int]]  # in work pixels
    fields: np.ndarray
    aspects: np.ndarray  # N×10: each candidate's width prior for each class
    misfits: np.ndarray  # N×10: how far its field lies from each class's shapes
    shapes: np.ndarray  # N: its height prior less the cost of the gaps it joins, whatever it reads as


@dataclass
class _Prepared:
    """A row's ink in groups, before any cut: what both the quick reading and the full search start from."""

    ink: np.ndarray
    groups: list[Group]
    regions: list[_Region]
    marks: list[tuple[str, Group]]
    height: float


def _prepare(img: Image.Image, options: Options) -> _Prepared:
    ink = ink_map(img, options)
    labels, groups = _groups(ink)
    groups, marks = _marks(groups, ink, labels)
    groups = _drop_specks(groups)
    height = _digit_height(groups)
    regions = []
    for group in groups:
        # The soft rim around the strokes too, as for single digits.
        ink_box = ink[group.y0 : group.y1, group.x0 : group.x1]
        regions.append(_Region(with_rim(ink_box, _member(labels, group)), group.x0, group.y0))
    return _Prepared(ink, groups, regions, marks, height)


def _candidates(prepared: _Prepared) -> _Candidates:
    groups, regions, height = prepared.groups, prepared.regions, prepared.height
    cuts = []
    for g, group in enumerate(groups):
        cuts.append(_Cut(g, None, 0))
        if group.width > CUT_FROM * height:
            cuts += _cuts(regions[g].ink, height, g)
    cuts.append(_Cut(len(groups), None, 0))
    spans, crops, boxes, aspects, shapes = [], [], [], [], []
    made: dict[tuple[int, int | None, int | None], tuple[np.ndarray, int, int] | None] = {}
    for i, start in enumerate(cuts[:-1]):
        for j in range(i + 1, len(cuts)):
            end = cuts[j]
            if end.group > start.group and groups[end.group - 1].x0 - start.at - groups[start.group].x0 > (
                MAX_WIDTH * height
            ):
                break  # wider than any digit whatever cuts it ends at
            if end.group == start.group and start.path is not None and (start.path > end.path).any():
                continue  # the cuts cross
            parts = []
            for g in range(start.group, min(end.group, len(groups) - 1) + 1):
                # A part is the group's ink between two of its cuts (None: its edges); spans share most parts.
                left = i if g == start.group and start.path is not None else None
                right = j if g == end.group else None
                if g == end.group and end.path is None:
                    break
                if (g, left, right) not in made:
                    made[g, left, right] = _part(
                        regions[g], None if left is None else cuts[left].path, None if right is None else end.path
                    )
                if made[g, left, right] is not None:
                    parts.append(made[g, left, right])
            found = _compose(parts) if parts else None
            if found is None:
                continue
            # One group whole, or what lies between neighbouring cuts, is always a candidate: every reading of
            # the row can be made of them.
            whole = j == i + 1 or (start.path is None and end.path is None and end.group == start.group + 1)
            if not whole and found[1][2] > MAX_WIDTH * height:
                continue
            aspect, short = _shape_terms(found[1], height)
            shape = max(HEIGHT_WEIGHT * short, -SHORT_CAP) - _join_cost(parts, height)
            # The most that shape and gaps leave a candidate, whatever it is read as.
            if whole or ASPECT_WEIGHT * float(aspect.max()) + shape >= PRUNE_BELOW:
                spans.append((i, j))
                crops.append(found[0])
                boxes.append(found[1])
                aspects.append(aspect)
                shapes.append(shape)
    if not spans:
        raise NoDigit()
    fields = np.stack([to_field(crop) for crop in crops])
    return _Candidates(cuts, spans, boxes, fields, np.array(aspects), misfit(fields), np.array(shapes))


def _join_cost(parts: list[tuple[np.ndarray, int, int]], height: float) -> float:
    """Groups apart with empty columns between them are seldom one digit: the wider the gap, the less so."""
    cost, right = 0.0, parts[0][1] + parts[0][0].shape[1]
    for crop, x, _ in parts[1:]:
        cost += JOIN_GAP * max(0, x - right) / height
        right = max(right, x + crop.shape[1])
    return cost


def _choose(c: _Candidates, probs: np.ndarray | None) -> list[int]:
    """The candidates that make the best reading of the row, left to right (indices into c.spans)."""
    if probs is None:
        # No model: every candidate counts as read surely, and shape, gaps and cuts decide.
        logp = np.full((len(c.spans), 10), ODDS_WEIGHT * ODDS_CAP)
    else:
        # How far each reading is from certain, as log-odds: near 1 the model's probabilities all look alike,
        # but a clean digit stands far further from the rest than a pair of digits or half a digit does.
        # Where the model has a not-a-digit class, its share counts among the others: half a digit or two
        # digits run together, refused as no digit, lose their odds of being any one digit.
        others = np.maximum(probs.sum(axis=1, keepdims=True) - probs, 1e-30)[:, :NOT_A_DIGIT]
        digits = probs[:, :NOT_A_DIGIT]
        odds = np.minimum(np.log(digits + 1e-30) - np.log(others), ODDS_CAP)
        logp = np.log(digits + 1e-9) + ODDS_WEIGHT * odds
    logp = logp - MISFIT_WEIGHT * np.maximum(c.misfits - MISFIT_FREE, 0.0)
    best = (logp + ASPECT_WEIGHT * c.aspects).max(axis=1) + c.shapes + PER_DIGIT
    values = {span: float(v) for span, v in zip(c.spans, best, strict=True)}
    cut_cost = [CUT_COST + RUN_COST * cut.runs if cut.path is not None else 0.0 for cut in c.cuts]
    path = _search(values, cut_cost, len(c.cuts) - 1)
    if not path:
        raise NoDigit()
    index = {span: k for k, span in enumerate(c.spans)}
    return [index[span] for span in path]


def segment(img: Image.Image, options: Options | None = None, score: Scorer | None = None) -> list[Piece]:
    """The digits of a number written in a row, left to right (see read_row for its points and sign)."""
    return read_row(img, options, score).pieces


Boxes = list[tuple[int, int, int, int]]


def _settled(prepared: _Prepared, score: Scorer) -> tuple[np.ndarray, Boxes, np.ndarray] | None:
    """The quick reading of a row whose digits stand apart: each group whole, in one small forward pass. It holds
    when every group is as narrow as one digit, reads as a digit surely (the not-a-digit share included: two
    digits run together, half a digit and a stray bar fall short) and fits that digit's usual shapes; then the
    full search, which would weigh every cut through every group, can only agree. None otherwise."""
    height = prepared.height
    if any(g.width > SETTLED_WIDTH * height or g.height < SETTLED_HEIGHT * height for g in prepared.groups):
        return None
    crops, boxes = [], []
    for region in prepared.regions:
        found = _compose([p]) if (p := _part(region, None, None)) is not None else None
        if found is None:
            return None
        crops.append(found[0])
        boxes.append(found[1])
    fields = np.stack([to_field(crop) for crop in crops])
    probs = np.asarray(score(fields), dtype=np.float64)
    digits = probs[:, :NOT_A_DIGIT]
    read = digits.argmax(axis=1)
    sure = digits[np.arange(len(read)), read] >= SETTLED_SURE
    fits = misfit(fields)[np.arange(len(read)), read] <= SETTLED_MISFIT
    return (fields, boxes, probs) if bool(sure.all() and fits.all()) else None


def read_row(img: Image.Image, options: Options | None = None, score: Scorer | None = None) -> Row:
    """The digits of a number written in a row, left to right, and its marks that are not digits.

    `score` (N×28×28 fields -> N×10 probabilities, or N×11 with the not-a-digit class last) lets the model judge
    where digits split and join; each piece then carries its probabilities, so the reading needs no second pass.
    Without it, shape alone does. A row whose digits stand apart and read surely is read from its groups alone
    (_settled); the others go through the full search.
    """
    options = options or Options()
    prepared = _prepare(img, options)
    ink = prepared.ink
    scale = (img.width / ink.shape[1], img.height / ink.shape[0])
    marks = [Mark(kind, scaled_box((g.x0, g.y0, g.width, g.height), scale)) for kind, g in prepared.marks]
    quick = _settled(prepared, score) if score is not None and prepared.groups else None
    if quick is not None:
        fields, boxes, probs = quick
        pieces = [Piece(f, scaled_box(b, scale), p) for f, b, p in zip(fields, boxes, probs, strict=True)]
    else:
        c = _candidates(prepared)
        probs = np.asarray(score(c.fields), dtype=np.float64) if score is not None else None
        chosen = _choose(c, probs)
        pieces = [
            Piece(c.fields[k], scaled_box(c.boxes[k], scale), probs[k] if probs is not None else None) for k in chosen
        ]
    if len(pieces) > MAX_DIGITS:
        raise TooManyDigits(f"The image holds {len(pieces)} digits; at most {MAX_DIGITS} are read.")
    return Row(pieces, marks)
