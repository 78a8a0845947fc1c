"""Any decoded image -> the 28×28 picture MNIST taught the model to read.

The MNIST convention: white ink on black, the digit fitted into a 20×20 box keeping its aspect ratio, then
placed in a 28×28 field so that its centre of mass sits at the centre. Everything before that step exists
to find the ink: whatever the background's polarity, colour, transparency or lighting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops
from scipy import ndimage

from digitpred.ml.decode import DEFAULT_MAX_PIXELS
from digitpred.ml.errors import ImageTooLarge, InvalidImage, NoDigit

# Largest side the ink search works at: more pixels only cost time.
WORK_SIDE = 512
# The modes Pillow can shrink by averaging pixels (Image.reduce), each band a level: a palette's indices are not.
AVERAGED = frozenset({"L", "LA", "La", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "I", "F"})
# Side at which the stroke width is measured and corrected (4× the 20-pixel box).
STROKE_SIDE = 80
BOX = 20
FIELD = 28
# Stroke width at STROKE_SIDE, as 2·area/perimeter of the ink; MNIST's middle 80% lies in this range.
STROKE_RANGE = (7.5, 15.0)
# Diagonal neighbours belong to the same piece of ink.
_EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class Options:
    # Ink must stand this far (0-255) above the background, and this many noise sigmas, to count.
    min_contrast: float = 24.0
    min_snr: float = 6.0
    # A component smaller than this share of the largest one is a speck, unless it lies by the digit.
    speck_share: float = 0.08
    # Ink pixels needed, as a share of the work image's area, for anything to count as a digit.
    min_ink_share: float = 0.0002


def to_grey(img: Image.Image) -> np.ndarray:
    """Luminance as uint8 with transparency composited onto a background that contrasts with the ink.

    Whole grey levels are all the pipeline needs, and they let histograms and lookup tables stand in for
    passes of float arithmetic over every pixel.
    """
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float32)
        lo, hi = float(arr.min()), float(arr.max())
        return _levels((arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr))
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = img.getchannel("A")
        if np.asarray(alpha).min() < 250:
            return _composite((img.convert("LA") if img.mode == "La" else img).convert("L"), alpha)
        if img.mode == "RGBA":
            return np.asarray(img.convert("L"))  # an opaque canvas: the alpha channel says nothing
        img = img.convert("RGB")
    if img.mode not in ("L", "RGB"):
        try:
            img = img.convert("RGB")
        except (ValueError, OSError) as exc:
            raise InvalidImage(f"Images in mode {img.mode} are not supported.") from exc
    return np.asarray(img.convert("L") if img.mode != "L" else img)


def _levels(grey: np.ndarray) -> np.ndarray:
    return np.rint(grey).astype(np.uint8)


def _composite(grey: Image.Image, alpha: Image.Image) -> np.ndarray:
    """Ink drawn on a transparent canvas: dark ink goes onto white, light ink onto black."""
    weight = np.asarray(alpha)
    if weight.max() < 128:  # nothing is even half opaque
        return np.zeros(weight.shape, dtype=np.uint8)
    on_black = np.asarray(ImageChops.multiply(grey, alpha))  # grey × alpha / 255, in C
    # The ink's mean grey, weighted by its opacity: dark ink needs a white background, where
    # 255 + alpha·(grey - 255) = (255 - alpha) + grey·alpha.
    if int(on_black.sum(dtype=np.int64)) * 255 < 128 * int(weight.sum(dtype=np.int64)):
        return on_black + (255 - weight)
    return on_black


def _shrink(img: Image.Image, side: int) -> Image.Image:
    scale = max(img.size) / side
    if scale <= 1:
        return img
    factor = int(scale)
    if factor >= 2:
        img = img.reduce(factor)
    if max(img.size) > side:
        ratio = side / max(img.size)
        img = img.resize((max(1, round(img.width * ratio)), max(1, round(img.height * ratio))), Image.BOX)
    return img


def block_side(grey: np.ndarray) -> int:
    """The side of the square blocks of one level that make up an image enlarged by pixel repetition
    (nearest neighbour); 1 when it is not made of such blocks. Found from where neighbouring rows and columns
    differ: every such place is a multiple of the block side."""
    side = 0
    for axis in (0, 1):
        changes = np.flatnonzero((np.diff(grey, axis=axis) != 0).any(axis=1 - axis)) + 1
        side = int(np.gcd.reduce(np.concatenate([changes, [grey.shape[axis], side]])))
        if side < 2:
            return 1
    # Four cells a side at least: two or three blocks are a picture of blocks, not an enlarged digit.
    return side if min(grey.shape) >= 4 * side else 1


def work_grey(img: Image.Image) -> np.ndarray:
    """The picture in grey at the size the pipeline works at. A small picture enlarged blocky (a thumbnail or
    low-resolution scan blown up by pixel repetition) is enlarged smoothly instead: its stair-stepped edges
    would otherwise be read as the shape of the strokes."""
    if max(img.size) > 2 * WORK_SIDE:
        if img.mode not in AVERAGED:
            # No pixel averaging for a palette, one bit or 16 bits: grey first, at full size, then shrunk.
            return np.asarray(_shrink(Image.fromarray(to_grey(img)), WORK_SIDE))
        return to_grey(_shrink(img, WORK_SIDE))
    grey = to_grey(img)
    side = block_side(grey)
    if side > 1:
        h, w = grey.shape
        scale = min(1.0, WORK_SIDE / max(h, w))
        cells = Image.fromarray(np.ascontiguousarray(grey[::side, ::side]))
        return np.asarray(cells.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BICUBIC))
    if max(grey.shape) > WORK_SIDE:
        return np.asarray(_shrink(Image.fromarray(grey), WORK_SIDE))
    return grey


def _histogram(grey: np.ndarray) -> np.ndarray:
    """Counts of the 256 grey levels of uint8 values. Pillow counts a large image faster than np.bincount,
    which first widens every value to 64 bits; a strip of a few hundred values is quicker in numpy."""
    if grey.size < 4096:
        return np.bincount(grey.ravel(), minlength=256)
    return np.asarray(Image.fromarray(np.ascontiguousarray(grey)).histogram())


def _quantile(counts: np.ndarray, q: float) -> float:
    """The q-th percentile (0-100) of values given by their histogram: linear time, where sorting-based
    selection slows to a crawl on the thousands of equal background pixels of a canvas."""
    total = counts.sum()
    if total == 0:
        return 0.0
    return float(np.searchsorted(np.cumsum(counts), q / 100 * total))


def _percentile(grey: np.ndarray, q: float) -> float:
    return _quantile(_histogram(grey), q)


def _percentiles(parts: list[np.ndarray], q: float) -> list[float]:
    """The same percentile of each of a few small arrays, from one histogram per array counted at once."""
    codes = np.concatenate([part.ravel() + np.intp(256 * i) for i, part in enumerate(parts)])
    cumulative = np.bincount(codes, minlength=256 * len(parts)).reshape(len(parts), 256).cumsum(axis=1)
    # The first level whose cumulative count reaches q% of the part's: what np.searchsorted gives for one.
    return (cumulative >= q / 100 * cumulative[:, -1:]).argmax(axis=1).astype(float).tolist()


def _noise(grey: np.ndarray) -> float:
    """Noise sigma from neighbouring pixels' differences: ink edges are few, so their median is the noise's.
    A few dozen rows are plenty."""
    rows = grey[:: max(1, grey.shape[0] // 64)]
    left, right = rows[:, :-1], rows[:, 1:]
    return 1.4826 * _percentile(np.maximum(left, right) - np.minimum(left, right), 50) / np.sqrt(2)


def _opened(grey: np.ndarray, side: int, size: int, blur: int) -> np.ndarray:
    """The picture's background by a grey opening of `size` pixels at a resolution of `side`: whatever is
    brighter than its surroundings and narrower than the window goes."""
    h, w = grey.shape
    ratio = side / max(h, w)
    sh, sw = max(1, round(h * ratio)), max(1, round(w * ratio))
    small = np.asarray(Image.fromarray(grey).resize((sw, sh), Image.BOX))
    background = ndimage.grey_opening(small, size=(size, size))
    if blur > 1:
        background = ndimage.uniform_filter(background, size=blur)
    return np.asarray(Image.fromarray(background.astype(np.float32)).resize((w, h), Image.BILINEAR))


def _uneven_background(grey: np.ndarray) -> np.ndarray:
    """Light that changes across the page. A first, coarse opening (a third of the picture wide) finds the
    strokes and so their width; a second opening only a little wider than a stroke then follows a shadow's
    edge closely, where the coarse one leaves it behind as ink."""
    short = round(min(grey.shape) * 64 / max(grey.shape))
    size = max(3, short // 3)
    coarse = _opened(grey, 64, size, blur=size // 2)
    x = grey - coarse
    x -= float(np.percentile(x[::4, ::4], 30))
    strong = x > 0.5 * float(np.percentile(x[::2, ::2], 99.7))
    labels, n = ndimage.label(strong)
    if n == 0:
        return coarse
    clear = np.concatenate([[False], ~_touches_border(ndimage.find_objects(labels), (0, 0), grey.shape)])
    strokes = clear[labels]
    # Most of the ink must lie clear of the border for its width to be the digit's: a digit that fills the
    # picture, or a broad shadow, keeps the coarse estimate.
    if strokes.sum() < 0.5 * strong.sum():
        return coarse
    window = 2.0 * stroke_width(strokes)
    scale = min(1.0, 9.0 / max(window, 3.0))
    side = max(1, round(max(grey.shape) * scale))
    return _opened(grey, side, max(3, round(window * scale)), blur=3)


def _strips(arr: np.ndarray, ring: int) -> tuple[np.ndarray, ...]:
    """The picture's four edges, `ring` pixels deep, each laid along its length (ring rows by its length)."""
    return arr[:ring], arr[-ring:], arr[:, :ring].T, arr[:, -ring:].T


def ink_map(img: Image.Image, options: Options = Options()) -> np.ndarray:
    """Ink strength in [0, 1] per pixel of the (bounded-size) image; raises NoDigit when there is none."""
    return ink_and_light(img, options)[0]


def ink_and_light(img: Image.Image, options: Options = Options()) -> tuple[np.ndarray, bool]:
    """The ink map, and whether the light was uneven: a photo's, where the picture's edge may show paper
    edges and shadows rather than the digit."""
    grey = work_grey(img)
    h, w = grey.shape
    ring = max(1, min(h, w) // 50)

    border = np.bincount(np.concatenate([side.ravel() for side in _strips(grey, ring)]), minlength=256)
    counts = _histogram(grey)
    # The k-th brightest value, not the brightest: a few hot pixels of noise must not set the scale.
    k = max(5, int(0.0003 * grey.size))
    if _dark_ink(border, counts, k):
        grey = 255 - grey
        border, counts = border[::-1], counts[::-1]
    step = max(1, int(np.sqrt(grey.size / 20_000)))
    q10, q50 = _quantile(border, 10), _quantile(border, 50)
    sigma = _noise(grey)
    uneven = False
    if border[int(q50)] < border.sum():
        # The border is mostly background, and ink that reaches it is its bright tail. The light is uneven
        # when the lower part of the border's values spreads, or when the eight half-sides differ. (A border
        # of one grey level all round, like a drawn canvas's, has even light: nothing to weigh.)
        contrast = _percentile(grey[:: 2 * step, :: 2 * step], 99.9) - q50  # a sample: the ink level needs no more
        halves = [part for side in _strips(grey, ring) for part in np.array_split(side, 2, axis=1) if part.size]
        levels = _percentiles(halves, 20)
        limit = max(5.0, 0.06 * contrast, 4.0 * sigma)
        uneven = max(q50 - q10, max(levels) - min(levels)) > limit
        # Ink that runs into the border spreads the border's values as a shadow does: a scan's digit drawn up
        # to the edge is told apart by the even background beside it.
        uneven = uneven and not _even_beside_ink(grey, ring, _quantile(border, 5), q50 + contrast, limit)
    if uneven:
        # Shadows and light falloff reach the border, so the background is never brighter there than
        # the brightest stretch of border: capping it keeps thick strokes from being taken for background.
        x = grey.astype(np.float32)
        x -= np.minimum(_uneven_background(x), max(levels))
        # The opening lies below the picture, so the background sits just above zero; a low percentile
        # finds its level even when a thick digit covers half the picture.
        x -= float(np.percentile(x[::step, ::step], 30))
        bright = x[x > 2.0 * sigma + 1.0]
        peak = float(np.partition(bright, bright.size - k)[bright.size - k]) if bright.size >= k else 0.0
        low, high = _ink_range(peak, sigma, options)
        ink = np.clip((x - low) / (high - low), 0.0, 1.0)
        inked = np.count_nonzero(ink > 0.5)
    else:
        # An even background (a canvas, a scan): its level is the border's. No local estimate here, since
        # one would hollow out strokes as wide as its window. The ink then depends on the grey level
        # alone: the histogram gives the peak, and a 256-entry table the ink, in one pass each.
        x = np.arange(256, dtype=np.float32) - q50
        above = np.cumsum(np.where(x > 2.0 * sigma + 1.0, counts, 0)[::-1])[::-1]  # bright pixels at or above
        peak = float(x[np.flatnonzero(above >= k)[-1]]) if above[0] >= k else 0.0
        low, high = _ink_range(peak, sigma, options)
        table = np.clip((x - low) / (high - low), 0.0, 1.0)
        ink = np.take(table, grey)
        inked = int(counts[table > 0.5].sum())
    if inked < max(2, options.min_ink_share * h * w):
        raise NoDigit()
    return ink, uneven


def _even_beside_ink(grey: np.ndarray, ring: int, background: float, peak: float, limit: float) -> bool:
    """Whether the border is evenly lit once the digit that runs into it is set aside: a scan's or a tight
    thumbnail's digit, drawn up to the edge. What reaches the border must be ink at full strength (a shadow is
    a half-dark stretch), all the ink must reach it (a photo's digit stands clear of the dark desk or paper edge
    beyond it), and the rest of the border must be of one level."""
    h, w = grey.shape
    border = np.concatenate([side.ravel() for side in _strips(grey, ring)])
    reaching = border[border >= background + 0.5 * (peak - background)]
    if reaching.size == 0 or np.median(reaching) < background + 0.75 * (peak - background):
        return False
    inked = grey >= background + 0.5 * (peak - background)
    # The ink's soft rim (blur, JPEG) is neither ink nor background: set aside a margin round the ink too.
    hidden = _grow(inked, max(2, min(h, w) // 25))
    halves, shown = [], 0
    for values, cover in zip(_strips(grey, ring), _strips(hidden, ring), strict=True):
        for part, covered in zip(np.array_split(values, 2, axis=1), np.array_split(cover, 2, axis=1), strict=True):
            paper = part[~covered]
            shown += paper.size
            if paper.size >= 0.25 * part.size:
                halves.append(paper)
    if shown < 0.2 * 2 * ring * (h + w) or len(halves) < 3:
        return False  # too little background left to judge
    counts = np.bincount(np.concatenate(halves), minlength=256)
    levels = _percentiles(halves, 20)
    if max(_quantile(counts, 50) - _quantile(counts, 10), max(levels) - min(levels)) > limit:
        return False
    labels, n = ndimage.label(inked, structure=_EIGHT_NEIGHBOURS)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    edge = _touches_border(ndimage.find_objects(labels), (0, 0), inked.shape)
    return not (~edge & (sizes >= 0.08 * sizes.max())).any()


def _dark_ink(border: np.ndarray, counts: np.ndarray, k: int) -> bool:
    """Whether the ink is darker than the background, from the border's and the picture's histograms.

    Ink is what reaches beyond the levels the border spans: the border holds the paper, its shadows and
    patches of light, so in a shadowed photo the paper may be both darker than mid-grey and brighter than
    a patch of light is dark. When neither side reaches clearly beyond (a digit that fills the picture and
    runs into its border), the background is the border's middle level and the ink lies at the far end of
    the picture's range from it."""
    cumulative = np.cumsum(counts)
    darkest = int(np.searchsorted(cumulative, k))  # the k-th darkest level
    brightest = int(np.searchsorted(cumulative, cumulative[-1] - k))  # about the k-th brightest
    below = _quantile(border, 2) - darkest
    above = brightest - _quantile(border, 98)
    if max(below, above) >= 16 and below != above:
        return below > above
    background = _quantile(border, 50)
    if brightest <= darkest:
        return background > 127  # one level all over: nothing to weigh, and no ink either
    return background > (darkest + brightest) / 2


def _ink_range(peak: float, sigma: float, options: Options) -> tuple[float, float]:
    """Where ink starts and where it is full, from the ink's peak above the background and the noise."""
    if peak < max(options.min_contrast, options.min_snr * sigma):
        raise NoDigit()
    low = max(3.0 * sigma, 0.2 * peak)
    return low, max(low + 1.0, 0.6 * peak)


def _touches_border(slices: list, offset: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """Which labelled pieces (their slices within a window at `offset`) reach the edge of the whole picture."""
    top, left = offset
    height, width = shape
    return np.array(
        [
            min(r.start + top, c.start + left) <= 0 or r.stop + top >= height or c.stop + left >= width
            for r, c in slices
        ],
        dtype=bool,
    )


def digit_crop(ink: np.ndarray, options: Options = Options(), photo: bool = False) -> np.ndarray:
    """The digit's ink, cropped to it: its strokes and their soft rim, without specks far from it. In a
    `photo`, ink that runs into the picture's edge is taken for paper edges and shadows when the rest of the
    ink stands clear of it; on a canvas or a scan it is the digit drawn up to the edge."""
    strong = ink > 0.3
    rows, cols = np.flatnonzero(strong.any(axis=1)), np.flatnonzero(strong.any(axis=0))
    if rows.size == 0:
        raise NoDigit()
    # Only the box around the ink needs labelling (a canvas is mostly empty), with room for the rim.
    top, left = max(0, rows[0] - 2), max(0, cols[0] - 2)
    full_shape = ink.shape
    ink, strong = ink[top : rows[-1] + 3, left : cols[-1] + 3], strong[top : rows[-1] + 3, left : cols[-1] + 3]
    labels, n = ndimage.label(strong, structure=_EIGHT_NEIGHBOURS)
    if n > 1:
        ink, strong = _without_specks(ink, labels, n, options, (top, left), full_shape if photo else None)
    crop = with_rim(ink, strong)
    rows, cols = np.flatnonzero(crop.any(axis=1)), np.flatnonzero(crop.any(axis=0))
    if rows.size == 0:
        raise NoDigit()
    return crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _without_specks(
    ink: np.ndarray,
    labels: np.ndarray,
    n: int,
    options: Options,
    offset: tuple[int, int],
    full_shape: tuple[int, int] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The box of the pieces that make the digit, and their mask: specks far from the digit are left out.
    `offset` places the labelled window in the whole picture of `full_shape`; without a shape, pieces that
    reach the picture's edge count like any other."""
    mass = np.bincount(labels.ravel(), weights=ink.ravel(), minlength=n + 1)[1:]
    slices = ndimage.find_objects(labels)
    # A shadow's edge or the paper's edge in a photo leaves ink that runs into the picture's border; the
    # digit rarely does. When something stays clear of the border, what reaches it is not the digit.
    edge = _touches_border(slices, offset, full_shape) if full_shape else np.zeros(n, dtype=bool)
    if edge.any() and not edge.all() and mass[~edge].max() >= 0.25 * mass.max():
        # Unless it is as dark and as wide as the digit's strokes: the digit written up to the edge.
        edge &= ~_like_the_strokes(ink, labels, slices, edge, mass, options, full_shape)
        mass = np.where(edge, 0.0, mass)
    big = mass >= options.speck_share * mass.max()
    ys = [s[0] for s, keep in zip(slices, big, strict=True) if keep]
    xs = [s[1] for s, keep in zip(slices, big, strict=True) if keep]
    y0, y1 = min(s.start for s in ys), max(s.stop for s in ys)
    x0, x1 = min(s.start for s in xs), max(s.stop for s in xs)
    my, mx = (y1 - y0) // 8 + 1, (x1 - x0) // 8 + 1
    # Grain (a noisy scan, dust on a photo) is far smaller than the pen: no piece of the digit.
    pen = stroke_width(np.concatenate([[False], big])[labels].astype(np.float32))
    keep = big.copy()
    for i, sl in enumerate(slices):
        if not keep[i]:
            # A small piece inside (or touching) the digit's box is part of it: a dot, a broken stroke.
            cy, cx = (sl[0].start + sl[0].stop) / 2, (sl[1].start + sl[1].stop) / 2
            size = max(sl[0].stop - sl[0].start, sl[1].stop - sl[1].start)
            keep[i] = y0 - my <= cy <= y1 + my and x0 - mx <= cx <= x1 + mx and size >= 0.5 * pen
    kept = [sl for sl, k in zip(slices, keep, strict=True) if k]
    # Work in the kept pieces' box, widened by the rim: the rest of the picture is background.
    h, w = ink.shape
    top = max(0, min(s[0].start for s in kept) - 2)
    bottom = min(h, max(s[0].stop for s in kept) + 2)
    left = max(0, min(s[1].start for s in kept) - 2)
    right = min(w, max(s[1].stop for s in kept) + 2)
    return ink[top:bottom, left:right], np.concatenate([[False], keep])[labels[top:bottom, left:right]]


def _like_the_strokes(
    ink: np.ndarray,
    labels: np.ndarray,
    slices: list,
    edge: np.ndarray,
    mass: np.ndarray,
    options: Options,
    full_shape: tuple[int, int],
) -> np.ndarray:
    """Which pieces that reach the picture's edge look like strokes of the digit: as strong as the ink clear of
    the edge and of its stroke width. The background estimate follows a shadow's or a paper's edge part of the
    way, which leaves it fainter; a strip of desk along a whole side may be dark and narrow, but it is as long
    as the picture."""
    like = np.zeros(edge.shape, dtype=bool)
    short = np.array(
        [r.stop - r.start < 0.9 * full_shape[0] and c.stop - c.start < 0.9 * full_shape[1] for r, c in slices]
    )
    candidates = np.flatnonzero(edge & short & (mass >= options.speck_share * mass.max()))
    if candidates.size == 0:
        return like
    clear = np.concatenate([[False], ~edge & (mass >= options.speck_share * mass[~edge].max())])[labels]
    width, strength = stroke_width(clear), float(ink[clear].mean())
    for i in candidates:
        piece = labels == i + 1
        like[i] = ink[piece].mean() >= 0.9 * strength and 0.6 * width <= stroke_width(piece) <= 1.4 * width
    return like


def with_rim(ink: np.ndarray, strokes: np.ndarray) -> np.ndarray:
    """The ink of the chosen strokes with their soft anti-aliased rim (2 pixels round), nothing else."""
    return ink * _grow(strokes, 2)


def _grow(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation by a (2·radius+1)² square, as shifted ORs along each axis: a few cheap passes."""
    return _box_extreme(mask, 2 * radius + 1, 2 * radius + 1, np.logical_or)


def _resize(arr: np.ndarray, width: int, height: int) -> np.ndarray:
    img = Image.fromarray(np.ascontiguousarray(arr, dtype=np.float32))
    shrinking = width < arr.shape[1] or height < arr.shape[0]
    return np.asarray(img.resize((width, height), Image.BOX if shrinking else Image.BILINEAR))


def stroke_width(ink: np.ndarray) -> float:
    """2·area/perimeter of the ink: the width of a long stroke of that area."""
    mask = ink > 0.5
    area = int(np.count_nonzero(mask))
    if area == 0:
        return 0.0
    # Pixels whose four neighbours are all ink; the outermost rows and columns have a missing neighbour.
    inner = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    perimeter = max(1, area - int(np.count_nonzero(inner)))
    return 2.0 * area / perimeter


def _disk_boxes(radius: int) -> list[tuple[int, int]]:
    """The disk x² + y² <= r² + r as a union of centred boxes (height, width): one per row offset."""
    limit = radius * radius + radius
    return [(2 * dy + 1, 2 * int(np.sqrt(limit - dy * dy)) + 1) for dy in range(radius + 1)]


def _box_extreme(arr: np.ndarray, height: int, width: int, pick: np.ufunc) -> np.ndarray:
    """Maximum (or minimum) over a centred height×width box, as shifted maxima along each axis: a box
    clipped at the edges, which for these filters is what a reflected border gives."""
    rows = arr.copy()
    for d in range(1, height // 2 + 1):
        pick(rows[d:], arr[:-d], out=rows[d:])
        pick(rows[:-d], arr[d:], out=rows[:-d])
    out = rows.copy()
    for d in range(1, width // 2 + 1):
        pick(out[:, d:], rows[:, :-d], out=out[:, d:])
        pick(out[:, :-d], rows[:, d:], out=out[:, :-d])
    return out


def _dilate_disk(arr: np.ndarray, radius: int) -> np.ndarray:
    """Grey dilation by a disk, as the maximum of box maxima: the same result, far fewer steps."""
    return np.maximum.reduce([_box_extreme(arr, h, w, np.maximum) for h, w in _disk_boxes(radius)])


def _erode_disk(arr: np.ndarray, radius: int) -> np.ndarray:
    return np.minimum.reduce([_box_extreme(arr, h, w, np.minimum) for h, w in _disk_boxes(radius)])


def normalise_stroke(crop: np.ndarray) -> np.ndarray:
    """Bring the stroke width at STROKE_SIDE into MNIST's range: thin pen lines thicken, markers thin."""
    width = stroke_width(crop)
    low, high = STROKE_RANGE
    if 0 < width < low:
        radius = max(1, round((low - width) / 2))
        return _dilate_disk(crop, radius)
    if width > high:
        # A gentle erosion at most: a marker's blob of a digit breaks into pieces under a deep one.
        radius = min(2, max(1, round((width - high) / 2)))
        thinner = _erode_disk(crop, radius)
        if (thinner > 0.5).sum() >= 0.6 * (crop > 0.5).sum():
            return thinner
    return crop


def to_field(crop: np.ndarray) -> np.ndarray:
    """A cropped ink map -> 28×28 float32 in [0, 1], MNIST-style (20×20 box, centre of mass centred)."""
    h, w = crop.shape
    scale = STROKE_SIDE / max(h, w)
    mid_w, mid_h = max(1, round(w * scale)), max(1, round(h * scale))
    mid = normalise_stroke(np.clip(_resize(crop, mid_w, mid_h), 0.0, 1.0))
    box_w, box_h = max(1, round(mid_w * BOX / STROKE_SIDE)), max(1, round(mid_h * BOX / STROKE_SIDE))
    digit = np.clip(_resize(mid, box_w, box_h), 0.0, 1.0)
    peak = digit.max()
    if peak <= 0:
        raise NoDigit()
    digit /= peak
    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    total = float(digit.sum(dtype=np.float64))
    cy = float(digit.sum(axis=1, dtype=np.float64) @ np.arange(box_h)) / total
    cx = float(digit.sum(axis=0, dtype=np.float64) @ np.arange(box_w)) / total
    top = int(round(FIELD / 2 - 0.5 - cy))
    left = int(round(FIELD / 2 - 0.5 - cx))
    top = min(max(top, 0), FIELD - box_h)
    left = min(max(left, 0), FIELD - box_w)
    field[top : top + box_h, left : left + box_w] = digit
    return field


def preprocess(img: Image.Image, options: Options = Options()) -> np.ndarray:
    """The one pipeline: decoded image in, 28×28 float32 (white ink on black, 0-1) out."""
    ink, uneven = ink_and_light(img, options)
    return to_field(digit_crop(ink, options, photo=uneven))


def from_array(arr: np.ndarray, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """An array from a Python caller (a dataset's digit, a camera frame) -> an image the pipeline reads.

    2-D grey or H×W×1/3/4; booleans, integers and floats of any range: uint8 is taken as it is, floats within
    [0, 1] are scaled by 255, anything else is stretched from its minimum to its maximum (as 16-bit images are).
    """
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":
        raise InvalidImage(f"An array of {arr.dtype} is not an image.")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise InvalidImage(f"An array of shape {arr.shape} is not an image: send H×W or H×W×1, 3 or 4.")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InvalidImage("The image has no pixels.")
    if arr.shape[0] * arr.shape[1] > max_pixels:
        raise ImageTooLarge(f"The image has {arr.shape[0] * arr.shape[1]:,} pixels; at most {max_pixels:,}.")
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype != np.uint8:
        values = arr.astype(np.float64)
        if not np.isfinite(values).all():
            raise InvalidImage("The image holds values that are not finite numbers.")
        lo, hi = float(values.min()), float(values.max())
        if arr.dtype.kind == "f" and lo >= 0 and hi <= 1:
            values = values * 255.0
        elif hi > lo:
            values = (values - lo) * (255.0 / (hi - lo))
        else:
            values = np.zeros_like(values)
        arr = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(arr))


def preprocess_array(arr: np.ndarray, options: Options = Options()) -> np.ndarray:
    """preprocess() for an array: the 28×28 field, or a typed error."""
    return preprocess(from_array(arr), options)
