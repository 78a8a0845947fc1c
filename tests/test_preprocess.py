from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from digitpred.ml.decode import decode
from digitpred.ml.errors import ImageTooLarge, InvalidImage, NoDigit
from digitpred.ml.preprocess import _dilate_disk, _erode_disk, _grow, block_side, preprocess, to_grey
from digitpred.synth.render import Stroke, draw
from tests.helpers import png_bytes, resource


def field_of(data: bytes) -> np.ndarray:
    return preprocess(decode(data))


def assert_mnist_like(field: np.ndarray) -> None:
    assert field.shape == (28, 28) and field.dtype == np.float32
    assert field.min() >= 0 and field.max() == pytest.approx(1.0)
    cy, cx = ndimage.center_of_mass(field)
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0
    ys, xs = np.nonzero(field > 0.05)
    height, width = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    assert max(height, width) in (20, 21), (height, width)  # the 20-pixel box, plus an anti-aliased rim
    # White ink on black: the border is background.
    assert field[0].max() == 0 and field[-1].max() == 0 and field[:, 0].max() == 0 and field[:, -1].max() == 0


def test_small_offcentre_digit_on_transparent_canvas_is_centred():
    img = Image.open(io.BytesIO(resource("small-offcentre-3.png")))
    assert img.mode == "RGBA" and img.size == (280, 280)
    alpha = np.asarray(img.getchannel("A"))
    ys, xs = np.nonzero(alpha)
    assert ys.max() < 80 and xs.max() < 90  # the digit really is small and in a corner
    assert_mnist_like(field_of(resource("small-offcentre-3.png")))


def test_polarity_does_not_matter(heldout):
    digit = heldout[0][0]
    dark_on_light = field_of(png_bytes(draw(digit, Stroke(180, (140, 140), 16))))
    light_on_dark = field_of(
        png_bytes(draw(digit, Stroke(180, (140, 140), 16, ink=(255, 255, 255, 255), background=(0, 0, 0, 255))))
    )
    on_transparent = field_of(png_bytes(draw(digit, Stroke(180, (140, 140), 16, background=(0, 0, 0, 0)))))
    white_on_transparent = field_of(
        png_bytes(draw(digit, Stroke(180, (140, 140), 16, ink=(255, 255, 255, 255), background=(0, 0, 0, 0))))
    )
    for other in (light_on_dark, on_transparent, white_on_transparent):
        assert np.abs(other - dark_on_light).mean() < 0.02
    assert_mnist_like(dark_on_light)


def test_coloured_ink_on_tinted_background(heldout):
    digit = heldout[0][0]
    plain = field_of(png_bytes(draw(digit, Stroke(180, (140, 140), 16))))
    tinted = field_of(
        png_bytes(draw(digit, Stroke(180, (140, 140), 16, ink=(30, 40, 200, 255), background=(250, 240, 200, 255))))
    )
    assert np.abs(tinted - plain).mean() < 0.03


def test_exif_orientation_is_applied():
    img = decode(resource("exif-rotated-7.jpg"))
    assert img.size == (400, 500)  # stored 500×400 sideways; shown upright
    raw = Image.open(io.BytesIO(resource("exif-rotated-7.jpg")))
    assert raw.size == (500, 400)


def in_mode(base: Image.Image, mode: str) -> Image.Image:
    """An RGB picture in another mode; 16- and 32-bit grey scaled to their own range."""
    if mode == "I;16":
        return Image.fromarray(np.asarray(base.convert("L"), dtype=np.uint16) * 257)
    if mode == "I":
        return Image.fromarray(np.asarray(base.convert("L"), dtype=np.int32) * 1000)
    return base.convert(mode)


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "I;16", "I", "LA", "1"])
def test_image_modes(heldout, mode):
    base = draw(heldout[0][0], Stroke(180, (140, 140), 16)).convert("RGB")
    reference = preprocess(base)
    out = preprocess(in_mode(base, mode))
    assert np.abs(out - reference).mean() < (0.05 if mode == "1" else 0.02)


@pytest.mark.parametrize("mode", ["P", "1", "I;16", "I", "CMYK", "LA"])
def test_image_modes_of_a_picture_big_enough_to_be_shrunk_first(heldout, mode):
    """Over twice the working size a picture is shrunk before it is made grey, by pixel averaging that some modes
    (a palette, one bit, 16 bits) do not have: a big indexed or one-bit scan was a 500."""
    base = draw(heldout[0][0], Stroke(900, (700, 700), 80), size=(1400, 1400)).convert("RGB")
    reference = preprocess(base)
    out = preprocess(in_mode(base, mode))
    assert np.abs(out - reference).mean() < (0.05 if mode == "1" else 0.02)


def test_thin_and_thick_strokes_look_alike(heldout):
    digit = heldout[0][0]
    thin = field_of(png_bytes(draw(digit, Stroke(200, (140, 140), 2))))
    thick = field_of(png_bytes(draw(digit, Stroke(200, (140, 140), 34))))
    medium = field_of(png_bytes(draw(digit, Stroke(200, (140, 140), 14))))
    ink = [(f > 0.5).sum() for f in (thin, medium, thick)]
    # Stroke width is normalised: the ink area varies far less than the pen width (17×).
    assert max(ink) / min(ink) < 2.2, ink


def test_speck_far_from_digit_is_ignored(heldout):
    digit = heldout[0][0]
    img = draw(digit, Stroke(120, (150, 150), 12))
    clean = preprocess(img)
    img.paste((0, 0, 0, 255), (10, 10, 14, 14))
    assert np.abs(preprocess(img) - clean).max() < 1e-6


def test_grain_inside_the_digits_box_is_left_out(heldout):
    """Specks far smaller than the pen (a noisy scan, dust on a photo) inside the digit's box are no dot or broken
    stroke of it: kept, they spattered the field and a grainy canvas was read right two times in five."""
    for i in range(6):
        img = draw(heldout[0][i], Stroke(180, (140, 140), 16)).convert("L")
        grey = np.asarray(img).copy()
        rng = np.random.default_rng(i)
        for _ in range(250):
            y, x = rng.integers(40, 240, 2)
            grey[y : y + 2, x : x + 2] = 0
        # Specks that land on a stroke's edge grow it a little; the rest is gone.
        assert np.abs(preprocess(Image.fromarray(grey)) - preprocess(img)).mean() < 0.05


@pytest.mark.parametrize("name", ["blank.png", "grey.jpg"])
def test_no_digit(name):
    with pytest.raises(NoDigit):
        field_of(resource(name))


def test_faint_noise_is_no_digit():
    rng = np.random.default_rng(0)
    noise = np.clip(200 + rng.normal(0, 2, (280, 280)), 0, 255).astype(np.uint8)
    with pytest.raises(NoDigit):
        preprocess(Image.fromarray(noise))


@pytest.mark.parametrize("data", [b"", b"hello", resource("truncated.png"), b"GIF89a" + b"\0" * 10])
def test_invalid_images(data):
    with pytest.raises(InvalidImage):
        decode(data)


def test_pixel_limit_checked_before_decoding():
    big = Image.new("L", (3000, 3000), 255)
    with pytest.raises(ImageTooLarge):
        decode(png_bytes(big), max_pixels=1_000_000)


def test_large_jpeg_is_decoded_at_reduced_size(heldout):
    photo = draw(heldout[0][0], Stroke(1500, (1500, 2000), 90), size=(3000, 4000), supersample=1).convert("RGB")
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=85)
    img = decode(buf.getvalue())
    assert max(img.size) < 3000  # JPEG draft mode: libjpeg scaled it while decoding
    assert_mnist_like(preprocess(img))


@pytest.mark.parametrize("radius", [1, 2, 3, 5])
def test_fast_morphology_matches_scipy(radius):
    """The shifted-maxima filters give exactly what the textbook filters give, edges included."""
    rng = np.random.default_rng(radius)
    grey = rng.random((37, 53)).astype(np.float32)
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    disk = yy**2 + xx**2 <= radius * radius + radius
    assert np.array_equal(_dilate_disk(grey, radius), ndimage.grey_dilation(grey, footprint=disk))
    assert np.array_equal(_erode_disk(grey, radius), ndimage.grey_erosion(grey, footprint=disk))
    mask = rng.random((37, 53)) > 0.8
    assert np.array_equal(_grow(mask, radius), ndimage.binary_dilation(mask, np.ones((2 * radius + 1,) * 2)))


@pytest.mark.parametrize(("ink", "background"), [(0, 255), (255, 0)])
def test_transparency_is_composited_onto_a_contrasting_background(ink, background):
    rng = np.random.default_rng(ink)
    grey = np.full((40, 60), ink, dtype=np.uint8)
    alpha = rng.integers(0, 256, (40, 60), dtype=np.uint8)
    alpha[:, :20] = 0  # part of the canvas never drawn on
    img = Image.fromarray(np.dstack([grey, grey, grey, alpha]), "RGBA")
    expected = background + alpha / 255 * (ink - background)
    assert np.abs(to_grey(img).astype(float) - expected).max() <= 1.0


def test_canvas_digit_drawn_up_to_the_edge_keeps_every_stroke():
    """A 5 whose body runs into the canvas's edge and whose bar stands apart: on a canvas both are the digit
    (only a photo's edge holds paper edges and shadows to drop)."""
    img = Image.new("L", (280, 280), 255)
    pen = ImageDraw.Draw(img)
    pen.arc([-60, 120, 120, 270], start=-100, end=150, fill=0, width=14)  # the body, cut by the left edge
    pen.line([(20, 40), (20, 115)], fill=0, width=14)
    pen.line([(45, 30), (150, 30)], fill=0, width=14)  # the bar, clear of the edge and of the body
    field = field_of(png_bytes(img))
    rows = np.flatnonzero(field.max(axis=1) > 0.5)
    assert rows[-1] - rows[0] >= 15  # the whole height of the 5, not the bar alone


def test_dark_ink_on_paper_darker_than_mid_grey(heldout):
    """A photo in poor light: paper at grey 120 with a brighter patch of light at one side, ink far darker.
    The background's level alone (below 128) would take the paper for the ink."""
    digit = heldout[0][0]
    strokes = np.asarray(draw(digit, Stroke(180, (150, 150), 16)).convert("L"), dtype=np.float32) / 255.0
    paper = np.full(strokes.shape, 120.0)
    paper[:, :40] = 200.0  # light falling on the left edge
    photo = paper * strokes + 20.0 * (1.0 - strokes)
    field = field_of(png_bytes(Image.fromarray(photo.astype(np.uint8))))
    clean = field_of(png_bytes(draw(digit, Stroke(180, (150, 150), 16))))
    assert np.abs(field - clean).mean() < 0.03


def test_dark_ink_beside_a_broad_patch_of_light(heldout):
    """Paper at grey 125 with a patch of light at grey 225 along one side, ink at 40: the picture's range is
    centred above the paper, yet only the ink reaches beyond the levels the border spans."""
    digit = heldout[0][0]
    pen = Stroke(100, (300, 200), 9)
    strokes = np.asarray(draw(digit, pen, size=(400, 300)).convert("L"), np.float32) / 255.0
    paper = np.full(strokes.shape, 125.0)
    paper[:, :120] = 225.0
    photo = paper * strokes + 40.0 * (1.0 - strokes)
    field = field_of(png_bytes(Image.fromarray(photo.astype(np.uint8))))
    clean = field_of(png_bytes(draw(digit, pen, size=(400, 300))))
    assert np.abs(field - clean).mean() < 0.03


def _cells(digit: np.ndarray, cells: int) -> Image.Image:
    """A digit as a scan of `cells` × `cells` grey cells, dark on light."""
    return Image.fromarray(255 - digit).resize((cells, cells), Image.BOX)


@pytest.mark.parametrize(("cells", "factor"), [(8, 8), (10, 12), (16, 5)])
def test_block_side_finds_pixel_repetition(heldout, cells, factor):
    small = _cells(heldout[0][3], cells)
    blocky = np.asarray(small.resize((cells * factor, cells * factor), Image.NEAREST))
    smooth = np.asarray(small.resize((cells * factor, cells * factor), Image.BICUBIC))
    assert block_side(blocky) == factor
    assert block_side(smooth) == 1
    # Repetition along one side only is not an enlarged picture.
    assert block_side(np.asarray(small.resize((cells * factor, cells), Image.NEAREST))) == 1


def test_block_side_of_a_canvas_drawing_is_one(heldout):
    drawing = draw(heldout[0][1], Stroke(180, (140, 140), 16))
    assert block_side(to_grey(drawing)) == 1


def test_blocky_enlargement_reads_like_a_smooth_one(heldout):
    """A thumbnail blown up by pixel repetition: its stair-stepped edges must not become the strokes' shape."""
    far = []
    for digit in heldout[0][:20]:
        small = _cells(digit, 8)
        blocky = field_of(png_bytes(small.resize((96, 96), Image.NEAREST)))
        smooth = field_of(png_bytes(small.resize((96, 96), Image.BICUBIC)))
        far.append(np.abs(blocky - smooth).mean())
    assert max(far) < 0.02, far


def scan_of(digit: np.ndarray, margin: int) -> Image.Image:
    """A low-resolution scan: a thick-penned digit 20 pixels tall on a 24-pixel square of grey paper, with
    `margin` more pixels of paper round it, enlarged 6× blockily."""
    small = np.asarray(draw(digit, Stroke(20, (12, 12), 5), size=(24, 24), supersample=4).convert("L"), np.float32)
    small = np.pad(small, margin, constant_values=255.0)
    grey = 235.0 - 0.8 * (235.0 - small) + np.random.default_rng(0).normal(0, 3, small.shape)
    img = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8))
    return img.resize((img.width * 6, img.height * 6), Image.NEAREST)


@pytest.mark.parametrize("index", [2, 36])
def test_scan_with_the_digit_run_into_its_edge_reads_as_with_paper_round_it(heldout, index):
    """The strokes reaching the border spread its values as uneven light would; taken for a shadow's, they were
    hollowed out by the background estimate and dropped as a photo's paper edges."""
    tight, roomy = scan_of(heldout[0][index], 0), scan_of(heldout[0][index], 6)
    ink = np.asarray(tight) < 150
    assert ink[0].any() and ink[-1].any()  # the digit really runs into the edge
    # The same shape: correlation, not equality, since the stroke normaliser may pick a pen a pixel apart for two
    # pictures of different sizes. (Hollowed or cut, the two correlated at 0.49 and 0.72.)
    assert np.corrcoef(preprocess(tight).ravel(), preprocess(roomy).ravel())[0, 1] > 0.8


def lit_unevenly(strokes: np.ndarray) -> Image.Image:
    """Dark ink (strokes 0, paper 1) on paper whose light falls off from 230 on the left to 140 on the right."""
    paper = np.linspace(230.0, 140.0, strokes.shape[1])[None, :]
    photo = paper * strokes + 30.0 * (1.0 - strokes) + np.random.default_rng(0).normal(0, 3, strokes.shape)
    return Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8))


def test_photo_digit_written_up_to_the_edge_keeps_every_stroke():
    """The body of a 5 runs into the photo's edge, its bar stands apart: the body is as dark and as wide as
    the bar, so it is the digit, not a paper edge or a shadow."""
    img = Image.new("L", (280, 280), 255)
    pen = ImageDraw.Draw(img)
    pen.arc([-60, 120, 120, 270], start=-100, end=150, fill=0, width=14)  # the body, cut by the left edge
    pen.line([(20, 40), (20, 115)], fill=0, width=14)
    pen.line([(45, 30), (150, 30)], fill=0, width=14)  # the bar, clear of the edge and of the body
    field = preprocess(lit_unevenly(np.asarray(img, np.float32) / 255.0))
    rows = np.flatnonzero(field.max(axis=1) > 0.5)
    assert rows[-1] - rows[0] >= 15  # the whole height of the 5, not the bar alone


@pytest.mark.parametrize("band", [10, 20, 60])
def test_dark_desk_beyond_the_paper_is_not_the_digit(heldout, band):
    """A strip of dark desk along a whole side of a photo, as dark as the ink and maybe as wide as a stroke."""
    pen = Stroke(150, (130, 150), 14)
    strokes = np.asarray(draw(heldout[0][0], pen, size=(300, 300)).convert("L"), np.float32) / 255.0
    strokes[:, -band:] = 0.0
    clean = field_of(png_bytes(draw(heldout[0][0], pen, size=(300, 300))))
    assert np.abs(preprocess(lit_unevenly(strokes)) - clean).mean() < 0.03
