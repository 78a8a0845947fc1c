"""Segmentation of numbers written in a row, built from real held-out digits."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitpred.ml.decode import decode
from digitpred.ml.errors import NoDigit, TooManyDigits
from digitpred.ml.preprocess import to_field
from digitpred.ml.segment import MISFIT_FREE, segment
from digitpred.ml.shapes import digit_shapes, misfit
from digitpred.synth.render import Stroke, draw, skeleton
from tests.helpers import png_bytes


def row(
    digits: list[np.ndarray],
    gap: float = 0.3,
    heights: list[float] | None = None,
    offsets: list[float] | None = None,
    broken: set[int] = frozenset(),
    pen: float = 12,
) -> Image.Image:
    """Digits drawn in a row on a white canvas: gap in row heights (negative: touching)."""
    base = 100.0
    heights = heights or [base] * len(digits)
    offsets = offsets or [0.0] * len(digits)
    layers, x = [], 30.0
    rng = np.random.default_rng(0)
    for i, digit in enumerate(digits):
        points, _ = skeleton(digit)
        extent = points.max(axis=0) - points.min(axis=0)
        width = max(extent[0] / extent[1] * heights[i], pen)
        layers.append((digit, Stroke(heights[i], (x + width / 2, 110 + offsets[i]), pen, background=(0, 0, 0, 0)), i))
        x += width + gap * base + pen
    canvas = Image.new("RGBA", (int(x + 30), 220), (255, 255, 255, 255))
    for digit, stroke, i in layers:
        canvas.alpha_composite(draw(digit, stroke, size=canvas.size, gaps=0.2 if i in broken else 0.0, rng=rng))
    return canvas


def read(img: Image.Image, model) -> tuple[str, list]:
    pieces = segment(decode(png_bytes(img)), score=lambda f: model(f[..., None]))
    number = "".join(str(int(model(p.field[None, ..., None]).argmax())) for p in pieces)
    return number, [p.box for p in pieces]


def test_separate_digits_left_to_right(clear_digits, model):
    number, boxes = read(row([clear_digits[d] for d in (2, 0, 2, 6)]), model)
    assert number == "2026"
    xs = [b[0] for b in boxes]
    assert xs == sorted(xs)
    for _, _, w, h in boxes:
        assert 40 <= h <= 130 and w > 5  # each box fits one ~100-pixel digit


@pytest.mark.parametrize("digits", [(1,), (3, 8), (9, 4, 7), tuple(range(10)) + (5, 1)])
def test_one_to_twelve_digits(clear_digits, model, digits):
    number, _ = read(row([clear_digits[d] for d in digits]), model)
    assert number == "".join(map(str, digits))


def test_more_than_twelve_digits_is_refused(clear_digits):
    img = row([clear_digits[d] for d in (1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3)])
    with pytest.raises(TooManyDigits):
        segment(img)


def test_broken_strokes_stay_one_digit(clear_digits, model):
    digits = [clear_digits[d] for d in (4, 5, 7)]
    number, boxes = read(row(digits, broken={0, 1, 2}), model)
    assert len(boxes) == 3


@pytest.mark.parametrize(("digits", "gap"), [((3, 0, 8), -0.05), ((6, 3), 0.0), ((1, 7, 7, 4), 0.0)])
def test_touching_digits_are_split(clear_digits, model, digits, gap):
    number, boxes = read(row([clear_digits[d] for d in digits], gap=gap), model)
    assert len(boxes) == len(digits)
    assert number == "".join(map(str, digits))


def test_sizes_and_heights_vary(clear_digits, model):
    digits = [clear_digits[d] for d in (1, 9, 6, 2)]
    number, _ = read(row(digits, heights=[70, 110, 85, 120], offsets=[-20, 10, 25, -15]), model)
    assert number == "1962"


@pytest.mark.parametrize("small", [0.25, 0.3])
def test_a_small_digit_on_its_own_is_read(clear_digits, model, small):
    """A digit far smaller than the rest of the row, standing apart, is a digit and not a fragment."""
    digits = [clear_digits[d] for d in (7, 3, 5)]
    number, _ = read(row(digits, heights=[110, 110 * small, 100], offsets=[0, 30, 0]), model)
    assert number == "735"


def test_specks_are_ignored(clear_digits, model):
    img = row([clear_digits[d] for d in (5, 3)])
    d = ImageDraw.Draw(img)
    for x, y in ((8, 8), (img.width - 10, 200), (img.width // 2, 205)):
        d.ellipse([x - 2, y - 2, x + 2, y + 2], fill=(0, 0, 0, 255))
    assert read(img, model)[0] == "53"


def test_blank_row_is_no_digit():
    with pytest.raises(NoDigit):
        segment(Image.new("RGB", (600, 200), "white"))


def test_photo_of_a_number_goes_the_same_way(clear_digits, model):
    img = np.asarray(row([clear_digits[d] for d in (7, 4)]).convert("RGB"), dtype=np.float32)
    ramp = np.linspace(1.0, 0.7, img.shape[1])[None, :, None]
    noisy = img * np.array([0.93, 0.9, 0.8]) * ramp + np.random.default_rng(1).normal(0, 5, img.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buf, format="JPEG", quality=85)
    pieces = segment(decode(buf.getvalue()), score=lambda f: model(f[..., None]))
    assert "".join(str(int(model(p.field[None, ..., None]).argmax())) for p in pieces) == "74"


def test_api_number_mode(real_client, clear_digits):
    import base64

    png = png_bytes(row([clear_digits[d] for d in (2, 0, 2, 6)]))
    answers = [
        real_client.post("/api/predict?mode=number", data=png, content_type="image/png").json,
        real_client.post("/api/predict", json={"image": base64.b64encode(png).decode(), "mode": "number"}).json,
        real_client.post(
            "/api/predict",
            data={"image": (io.BytesIO(png), "n.png"), "mode": "number"},
            content_type="multipart/form-data",
        ).json,
    ]
    for body in answers:
        assert body["number"] == "2026"
        assert len(body["digits"]) == 4
        assert body["confidence"] == pytest.approx(np.prod([d["confidence"] for d in body["digits"]]), rel=1e-4)
        width, height = Image.open(io.BytesIO(png)).size
        for d in body["digits"]:
            x, y, w, h = d["box"]
            assert 0 <= x and x + w <= width and 0 <= y and y + h <= height  # in the uploaded image's pixels
            assert len(d["probabilities"]) == 10 and d["input"].startswith("data:image/png;base64,")


def test_api_digit_mode_is_the_default(real_client):
    from tests.helpers import resource

    body = real_client.post("/api/predict?mode=digit", data=resource("canvas-7.png"), content_type="image/png").json
    assert body["digit"] == 7 and "number" not in body


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"query_string": {"mode": "words"}}, "invalid_mode"),
        ({"json_mode": 5}, "invalid_mode"),
    ],
)
def test_api_bad_mode(client, kwargs, code):
    import base64

    from tests.helpers import resource

    if "json_mode" in kwargs:
        rv = client.post("/api/predict", json={"image": base64.b64encode(resource("canvas-7.png")).decode(), "mode": 5})
    else:
        rv = client.post("/api/predict", data=resource("canvas-7.png"), content_type="image/png", **kwargs)
    assert rv.status_code == 400
    assert rv.json["error"]["code"] == code


def test_api_number_of_a_blank_canvas(real_client):
    blank = png_bytes(Image.new("RGBA", (840, 280), (0, 0, 0, 0)))
    rv = real_client.post("/api/predict?mode=number", data=blank, content_type="image/png")
    assert rv.status_code == 422
    assert rv.json["error"]["code"] == "no_digit"


@pytest.mark.parametrize("digits", [(4, 5, 7), (2, 0, 2, 6), (9, 1, 3)])
def test_broken_digits_are_read_whole(clear_digits, model, digits):
    number, boxes = read(row([clear_digits[d] for d in digits], broken=set(range(len(digits)))), model)
    assert number == "".join(map(str, digits))


def test_detached_bar_joins_its_digit(clear_digits, model):
    """A 5 drawn in two strokes, its bar lifted clear of the body: one digit, not a 5 and a 1 or a 7."""
    img = row([clear_digits[d] for d in (3, 5)])
    assert read(img, model)[0] == "35"
    # Erase a thin band below the top of the 5 so that its bar stands apart from the rest.
    grey = np.asarray(img.convert("L"))
    cols = np.flatnonzero((grey[:, img.width // 2 :] < 128).any(axis=0)) + img.width // 2
    rows = np.flatnonzero((grey[:, cols] < 128).any(axis=1))
    cut = img.copy()
    ImageDraw.Draw(cut).rectangle([cols[0], rows[0] + 16, cols[-1], rows[0] + 22], fill=(255, 255, 255, 255))
    number, boxes = read(cut, model)
    assert number == "35" and len(boxes) == 2


@pytest.mark.parametrize(("digits", "gap"), [((2, 8, 5), -0.08), ((4, 0, 9, 6), -0.06), ((7, 3), -0.1)])
def test_overlapping_digits_are_split(clear_digits, model, digits, gap):
    number, boxes = read(row([clear_digits[d] for d in digits], gap=gap), model)
    assert number == "".join(map(str, digits))


@pytest.mark.parametrize(("digits", "gap"), [((7, 2, 5), -0.06), ((8, 3, 4, 6), -0.1), ((1, 1, 1, 9), -0.09)])
def test_leaning_digits_are_split_round_their_strokes(clear_digits, model, digits, gap):
    """Overlapping digits that lean into each other: every straight cut between them runs through one of them,
    and only a cut that bends round the strokes parts them."""
    number, boxes = read(row([clear_digits[d] for d in digits], gap=gap), model)
    assert number == "".join(map(str, digits))


@pytest.mark.parametrize(("digits", "gap"), [((6, 4, 3, 9), -0.1), ((1, 7, 0), -0.07), ((6, 2, 0, 8), -0.05)])
def test_two_digits_run_together_are_not_read_as_one(clear_digits, model, digits, gap):
    """The model reads a 6 run into a 4, or a 1 into a 7, surely as one digit; the pair's field lies far from
    the usual shapes of the digit it is read as, and each digit's own field does not."""
    number, boxes = read(row([clear_digits[d] for d in digits], gap=gap), model)
    assert number == "".join(map(str, digits))


def test_a_whole_digit_fits_its_class_shapes_and_two_run_together_fit_none(heldout):
    images, labels = heldout
    whole = misfit(images[:100].astype(np.float32) / 255)
    assert np.mean(whole.argmin(axis=1) == labels[:100]) > 0.9
    own = whole[np.arange(100), labels[:100]]
    # Two held-out digits side by side, overlapping a little, normalised into one field as a candidate would be.
    pairs = []
    for a, b in zip(images[100:150], images[150:200], strict=True):
        side = np.zeros((28, 50), dtype=np.float32)
        side[:, :28] = a / 255
        side[:, 22:] = np.maximum(side[:, 22:], b / 255)
        cols = np.flatnonzero(side.max(axis=0) > 0.05)
        rows = np.flatnonzero(side.max(axis=1) > 0.05)
        pairs.append(to_field(side[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]))
    pair = misfit(np.stack(pairs)).min(axis=1)
    assert np.median(pair) > 2 * np.median(own)
    assert np.mean(pair > MISFIT_FREE) > np.mean(own > MISFIT_FREE) + 0.3


def test_shape_spaces_are_made_from_digits_of_each_class(heldout):
    images, labels = heldout
    shapes = digit_shapes(images, labels, components=3)
    assert shapes["means"].shape == (10, 784) and shapes["components"].shape == (10, 3, 784)
    axes = shapes["components"].astype(np.float64)
    for d in range(10):
        assert np.allclose(axes[d] @ axes[d].T, np.eye(3), atol=1e-2)  # orthonormal, to float16's precision
        assert np.allclose(shapes["means"][d], images[labels == d].mean(axis=0).ravel() / 255, atol=1e-3)


def test_pieces_carry_the_reading_so_the_model_runs_once(clear_digits, model):
    from digitpred.ml.service import predict_number

    calls = []

    def counted(batch):
        calls.append(len(batch))
        return model(batch)

    reading = predict_number(png_bytes(row([clear_digits[d] for d in (8, 1, 8, 5)], gap=-0.05)), counted)
    assert reading.number == "8185"
    assert len(calls) == 1
    for prediction, _ in reading.digits:
        assert prediction.digit == int(np.argmax(model(prediction.field[None, ..., None])[0]))


def signed_row(digits: list[np.ndarray], minus: bool, point: int | None, seed: int) -> bytes:
    """A plain row (no touching, no broken strokes, not photographed) with a minus sign and a point."""
    from digitpred.synth.evalsets import number

    rng = np.random.default_rng(seed)
    while True:
        data, _, info = number(np.stack(digits), rng, photographed=False, minus=minus, point=point)
        if not info["broken"]:
            return data


@pytest.mark.parametrize(
    ("text", "seed"), [("-3.5", 1), ("12.50", 2), ("-7", 3), ("0.75", 4), ("-40.1", 5), ("906", 6)]
)
def test_points_and_a_minus_sign_are_read(clear_digits, model, text, seed):
    from digitpred.ml.service import predict_number
    from digitpred.synth.evalsets import number_parts

    labels, minus, point = number_parts(text)
    reading = predict_number(signed_row([clear_digits[d] for d in labels], minus, point, seed), model)
    assert reading.number == text
    kinds = [m["kind"] for m in reading.to_dict()["marks"]]
    assert kinds == ["minus" if c == "-" else "point" if c == "." else "digit" for c in text]


@pytest.mark.parametrize(("pen", "length"), [(14, 30), (18, 30), (22, 40)])
def test_a_short_minus_of_a_thick_pen_is_a_minus(clear_digits, model, pen, length):
    """A minus drawn short with a thick pen is barely twice as wide as tall, but its stroke is flat: it was
    dropped ("-305" read 305)."""
    from digitpred.ml.service import predict_number

    drawn = row([clear_digits[d] for d in (3, 0, 5)], pen=pen)
    img = Image.new("RGB", (drawn.width + 70, drawn.height), "white")
    img.paste(drawn, (70, 0), mask=drawn.getchannel("A"))
    grey = np.asarray(img.convert("L"))
    rows = np.flatnonzero((grey < 128).any(axis=1))
    first = int(np.flatnonzero((grey < 128).any(axis=0))[0])
    middle = (rows[0] + rows[-1]) / 2
    ImageDraw.Draw(img).line([(first - 12 - length, middle), (first - 12, middle)], fill="black", width=pen)
    assert predict_number(png_bytes(img), model).number == "-305"


@pytest.mark.parametrize(("text", "seed"), [("-3.5", 1), ("12.50", 2), ("906", 6)])
def test_a_grainy_row_reads_as_the_clean_one(clear_digits, model, text, seed):
    """Grain far smaller than the pen (a noisy scan, dust on a photo) joined the digits' groups and stretched
    their boxes, and its specks stood before a minus: with a few hundred specks a row was read wrong nine times in
    ten. Specks under half a pen are left out before the digits are grouped."""
    from digitpred.ml.service import predict_number
    from digitpred.synth.evalsets import number_parts

    labels, minus, point = number_parts(text)
    clean = Image.open(io.BytesIO(signed_row([clear_digits[d] for d in labels], minus, point, seed))).convert("L")
    grainy = np.asarray(clean).copy()
    rng = np.random.default_rng(seed)
    for _ in range(grainy.size // 300):
        y, x = rng.integers(0, grainy.shape[0] - 2), rng.integers(0, grainy.shape[1] - 2)
        grainy[y : y + 2, x : x + 2] = 0
    assert predict_number(png_bytes(clean), model).number == text
    assert predict_number(png_bytes(Image.fromarray(grainy)), model).number == text


def test_specks_and_bars_of_digits_are_not_points_or_signs(clear_digits, model):
    from digitpred.ml.service import predict_number

    img = row([clear_digits[d] for d in (7, 5)])
    d = ImageDraw.Draw(img)
    d.ellipse([145, 190, 148, 193], fill=(0, 0, 0, 255))  # a speck far smaller than the pen, low, between them
    d.line([(4, 20), (20, 20)], fill=(0, 0, 0, 255), width=3)  # a thin scratch high up, before the first digit
    reading = predict_number(png_bytes(img), model)
    assert reading.number == "75" and not reading.signs


def _gap_between(img: Image.Image) -> tuple[int, int]:
    """The first run of empty columns between the digits of a two-digit row: (its left, its right)."""
    ink = (np.asarray(img.convert("L")) < 128).any(axis=0)
    columns = np.flatnonzero(ink)
    inside = np.flatnonzero(~ink[columns[0] : columns[-1]]) + columns[0]
    return int(inside[0]), int(inside[-1])


def test_a_long_comma_below_the_baseline_is_a_point(clear_digits, model):
    """A comma as long as half a digit, hanging below the baseline, is no digit of the row (it was read as 1)."""
    from digitpred.ml.service import predict_number

    img = row([clear_digits[d] for d in (8, 7)], gap=0.6)
    left, right = _gap_between(img)
    middle = (left + right) // 2
    # The row's digits stand from y 60 to 160; the comma from 118 to 172, a pen wide, leaning a little.
    ImageDraw.Draw(img).line([(middle + 4, 118), (middle - 4, 172)], fill=(0, 0, 0, 255), width=12)
    reading = predict_number(png_bytes(img), model)
    assert reading.number == "8.7"


def test_a_comma_tucked_under_the_digit_before_it_is_a_point(clear_digits, model):
    """A comma written in one go with the digit before it starts a few pixels under that digit's last stroke."""
    from digitpred.ml.service import predict_number

    img = row([clear_digits[d] for d in (4, 3)], gap=0.6)
    left, _ = _gap_between(img)
    # The comma hangs from the baseline, its columns reaching 2 pixels back under the 4's.
    ImageDraw.Draw(img).line([(left + 7, 164), (left + 3, 196)], fill=(0, 0, 0, 255), width=12)
    reading = predict_number(png_bytes(img), model)
    assert reading.number == "4.3"


def test_a_bit_broken_off_a_digit_beside_a_point_is_no_second_point(clear_digits, model):
    """A dot and, just after it, a short tick broken off the next digit, both low in the gap: one point (the
    rounder), not "1..8"."""
    from digitpred.ml.service import predict_number

    img = row([clear_digits[d] for d in (1, 8)], gap=0.6)
    left, right = _gap_between(img)
    d = ImageDraw.Draw(img)
    d.ellipse([left + 12, 146, left + 24, 158], fill=(0, 0, 0, 255))  # the point, a pen wide, on the baseline
    d.line([(right - 24, 134), (right - 28, 158)], fill=(0, 0, 0, 255), width=11)  # a tick, two pens long
    reading = predict_number(png_bytes(img), model)
    assert reading.number == "1.8"
    assert [m["kind"] for m in reading.to_dict()["marks"]].count("point") == 1


@pytest.mark.parametrize(("pen", "fall"), [(12, 2), (26, 10)])
def test_a_flag_reaching_past_its_five_joins_it(clear_digits, model, pen, fall):
    """A 5 whose flag is a stroke of its own, drawn high and reaching right past the body over the gap: one 5,
    not a 5 and a 2 or a 7 for the flag, nor a part of the digit after it. Also with a thick pen, the flag falling
    a little: a third of the digit's height tall, and still flat."""
    img = row([clear_digits[d] for d in (3, 5, 0)], gap=1.7)
    grey = np.asarray(img.convert("L"))
    ink = np.flatnonzero((grey < 128).any(axis=0))
    starts = [ink[0], *ink[1:][np.diff(ink) > 1]]
    ends = [*ink[:-1][np.diff(ink) > 1], ink[-1]]
    x0, x1 = int(starts[1]), int(ends[1])  # the 5's columns
    rows = np.flatnonzero((grey[:, x0:x1] < 128).any(axis=1))
    d = ImageDraw.Draw(img)
    d.rectangle([x0 - 2, rows[0] - 2, x1 + 2, rows[0] + 20], fill=(255, 255, 255, 255))  # its own flag gone
    d.line([(x1 + 4, rows[0] - 6), (x1 + 140, rows[0] - 6 + fall)], fill=(0, 0, 0, 255), width=pen)
    number, boxes = read(img, model)
    assert number == "350"
    flag_end = x1 + 140
    assert boxes[1][0] + boxes[1][2] >= flag_end and boxes[2][0] > flag_end  # the flag is the 5's, not the 0's
