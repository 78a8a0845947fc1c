"""An image of a number written in a row -> its digits, left to right, each normalised like a single digit.

Over-segmentation, then a search that the model's reading drives. Connected strokes are found on the same ink
map as single digits; pieces that share most of a column range form one group (the halves of a 4, a dotted
stroke), and a group wider than a digit is cut further at candidate columns: valleys of the ink profile and of
the upper and lower contours, where touching digits meet. The row is then a sequence of atoms, and every run of
a few neighbouring atoms is a candidate digit. All candidates go through the model in one batch, and dynamic
programming picks the split whose digits read most surely, weighed by how much each candidate looks like a
digit in shape (its width for the class read, its height against the row's). Neighbouring groups can so
merge as well as split: the detached bar of a 5, a broken stroke.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from digitpred.ml.errors import NoDigit, TooManyDigits
from digitpred.ml.preprocess import Options, ink_map, to_field, with_rim

Scorer = Callable[[np.ndarray], np.ndarray]

MAX_DIGITS = 12
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
HEIGHT_WEIGHT = 2.0
# Below this share of the row's digit height a candidate is shorter than any digit of the row.
SHORT = 0.85
SHORT_SPREAD = 0.2
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
# A run of atoms whose shape and gaps alone cost more than this is never read: no reading could make up for it
# (the best reading is worth ODDS_WEIGHT * ODDS_CAP). On the tuning rows it skips one candidate in twenty and
# changes no reading.
PRUNE_BELOW = -8.0


@dataclass(frozen=True)
class Piece:
    field: np.ndarray  # the 28×28 image the model sees
    box: tuple[int, int, int, int]  # x, y, width, height in the image's own pixels
    # The model's reading of the field (10 probabilities) when segmentation had the model at hand.
    probabilities: np.ndarray | None = None


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


@dataclass(frozen=True)
class _Atom:
    region: np.ndarray  # the group's ink in its box, other groups' ink left out
    x0: int  # the atom's columns, in work pixels
    x1: int
    gx0: int  # the group's box
    gy0: int
    runs: int  # strokes that a cut at the atom's left edge crosses (0: it starts its group)


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
        # A short piece joins the group it shares most of its columns with; one beside the groups stays
        # apart, and the search decides which neighbour it belongs to.
        best = max(groups, key=lambda g: _overlap(g, piece), default=None)
        if best is not None and _overlap(best, piece) >= 0.5 * piece.width:
            best.absorb(piece)
        else:
            groups.append(piece)
    groups.sort(key=lambda g: g.x0)
    return labels, groups


def _drop_specks(groups: list[_Group]) -> list[_Group]:
    """Specks and stray dots: far lighter and far shorter than the digits of the row."""
    heaviest = max(g.mass for g in groups)
    row_height = max(g.height for g in groups if g.mass >= 0.2 * heaviest)
    return [g for g in groups if g.mass >= 0.06 * heaviest or g.height >= 0.35 * row_height]


def _digit_height(groups: list[_Group]) -> float:
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


def _runs(strong: np.ndarray, col: int) -> int:
    """Strokes that a cut down this column crosses."""
    return int(np.count_nonzero(np.diff(strong[:, col].astype(np.int8)) == 1) + strong[0, col])


def _atoms(ink: np.ndarray, labels: np.ndarray, groups: list[_Group], height: float) -> list[_Atom]:
    atoms = []
    for group in groups:
        member = np.isin(labels[group.y0 : group.y1, group.x0 : group.x1], group.labels)
        # The soft rim around the strokes too, as for single digits.
        region = with_rim(ink[group.y0 : group.y1, group.x0 : group.x1], member)
        strong = region > 0.5
        cuts = _cut_columns(region, height) if group.width > CUT_FROM * height else []
        # Where two digits touch, a cut crosses a stroke or two; one through more is inside a digit.
        cuts = [c for c in cuts if _runs(strong, c) <= MAX_RUNS]
        edges = [0, *cuts, group.width]
        for left, right in zip(edges[:-1], edges[1:], strict=True):
            crossed = _runs(strong, left) if left else 0
            atoms.append(_Atom(region, group.x0 + left, group.x0 + right, group.x0, group.y0, crossed))
    return atoms


def _span(atoms: list[_Atom]) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """A run of atoms' ink, cropped: the crop and its box in work pixels (None when it holds no ink)."""
    x0, x1 = min(a.x0 for a in atoms), max(a.x1 for a in atoms)
    y0 = min(a.gy0 for a in atoms)
    y1 = max(a.gy0 + a.region.shape[0] for a in atoms)
    canvas = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
    for a in atoms:
        part = a.region[:, a.x0 - a.gx0 : a.x1 - a.gx0]
        view = canvas[a.gy0 - y0 : a.gy0 - y0 + part.shape[0], a.x0 - x0 : a.x1 - x0]
        np.maximum(view, part, out=view)
    cols = np.flatnonzero((canvas > 0.05).any(axis=0))
    rows = np.flatnonzero((canvas > 0.05).any(axis=1))
    if cols.size == 0 or not (canvas > 0.3).any():
        return None
    crop = canvas[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return crop, (x0 + int(cols[0]), y0 + int(rows[0]), crop.shape[1], crop.shape[0])


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
    """The run of spans from atom 0 to atom n with the highest total value, less the cost of each cut made."""
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
    """Every run of atoms that might be one digit, ready for the model."""

    atoms: list[_Atom]
    spans: list[tuple[int, int]]
    boxes: list[tuple[int, int, int, int]]  # in work pixels
    fields: np.ndarray
    aspects: np.ndarray  # N×10: each candidate's width prior for each class
    shapes: np.ndarray  # N: its height prior less the cost of the gaps it joins, whatever it reads as
    scale: tuple[float, float]  # image pixels per work pixel


def _candidates(img: Image.Image, options: Options) -> _Candidates:
    ink = ink_map(img, options)
    labels, groups = _groups(ink)
    groups = _drop_specks(groups)
    height = _digit_height(groups)
    atoms = _atoms(ink, labels, groups, height)
    spans, crops, boxes, aspects, shapes = [], [], [], [], []
    for i in range(len(atoms)):
        for j in range(i + 1, len(atoms) + 1):
            if j > i + 1 and atoms[j - 1].x1 - atoms[i].x0 > MAX_WIDTH * height:
                break
            found = _span(atoms[i:j])
            if found is None:
                continue
            aspect, short = _shape_terms(found[1], height)
            shape = HEIGHT_WEIGHT * short - _join_cost(atoms, i, j, height)
            # The most that shape and gaps leave a run of atoms, whatever it is read as.
            if j == i + 1 or ASPECT_WEIGHT * float(aspect.max()) + shape >= PRUNE_BELOW:
                spans.append((i, j))
                crops.append(found[0])
                boxes.append(found[1])
                aspects.append(aspect)
                shapes.append(shape)
    if not spans:
        raise NoDigit()
    fields = np.stack([to_field(crop) for crop in crops])
    scale = (img.width / ink.shape[1], img.height / ink.shape[0])
    return _Candidates(atoms, spans, boxes, fields, np.array(aspects), np.array(shapes), scale)


def _join_cost(atoms: list[_Atom], i: int, j: int, height: float) -> float:
    """Groups apart with empty columns between them are seldom one digit: the wider the gap, the less so."""
    cost, right = 0.0, atoms[i].x1
    for a in atoms[i + 1 : j]:
        if a.runs == 0:
            cost += JOIN_GAP * max(0, a.x0 - right) / height
        right = max(right, a.x1)
    return cost


def _choose(c: _Candidates, probs: np.ndarray | None) -> list[int]:
    """The candidates that make the best reading of the row, left to right (indices into c.spans)."""
    if probs is None:
        # No model: every candidate counts as read surely, and shape, gaps and cuts decide.
        logp = np.full((len(c.spans), 10), ODDS_WEIGHT * ODDS_CAP)
    else:
        # How far each reading is from certain, as log-odds: near 1 the model's probabilities all look alike,
        # but a clean digit stands far further from the rest than a pair of digits or half a digit does.
        others = np.maximum(probs.sum(axis=1, keepdims=True) - probs, 1e-30)
        odds = np.minimum(np.log(probs + 1e-30) - np.log(others), ODDS_CAP)
        logp = np.log(probs + 1e-9) + ODDS_WEIGHT * odds
    best = (logp + ASPECT_WEIGHT * c.aspects).max(axis=1) + c.shapes + PER_DIGIT
    values = {span: float(v) for span, v in zip(c.spans, best, strict=True)}
    cut_cost = [CUT_COST + RUN_COST * a.runs if a.runs else 0.0 for a in c.atoms]
    path = _search(values, cut_cost, len(c.atoms))
    if not path:
        raise NoDigit()
    index = {span: k for k, span in enumerate(c.spans)}
    return [index[span] for span in path]


def segment(img: Image.Image, options: Options | None = None, score: Scorer | None = None) -> list[Piece]:
    """The digits of a number written in a row, left to right.

    `score` (N×28×28 fields -> N×10 probabilities) lets the model judge where digits split and join; each
    piece then carries its probabilities, so the reading needs no second pass. Without it, shape alone does.
    """
    c = _candidates(img, options or Options())
    probs = np.asarray(score(c.fields), dtype=np.float64) if score is not None else None
    chosen = _choose(c, probs)
    if len(chosen) > MAX_DIGITS:
        raise TooManyDigits(f"The image holds {len(chosen)} digits; at most {MAX_DIGITS} are read.")
    sx, sy = c.scale
    pieces = []
    for k in chosen:
        x, y, w, h = c.boxes[k]
        box = (int(x * sx), int(y * sy), max(1, round(w * sx)), max(1, round(h * sy)))
        pieces.append(Piece(c.fields[k], box, probs[k] if probs is not None else None))
    return pieces
