"""The committed model through the whole pipeline: if preprocessing or the model breaks, these fail loudly."""

from __future__ import annotations

import numpy as np

from tests.helpers import canvas_png, resource


def random_strokes(rng: np.random.Generator) -> dict:
    height = float(rng.uniform(50, 230))
    width = float(rng.uniform(3, 28))
    margin = height / 2 + width
    centre = (float(rng.uniform(margin, 280 - margin)), float(rng.uniform(margin, 280 - margin)))
    return {"height": height, "width": width, "centre": centre}


def read_digit(rv) -> int | None:
    """The digit answered, or None for a refusal ("not a digit": a wrong answer for a digit, never a broken one)."""
    if rv.status_code == 422 and rv.json["error"]["code"] == "not_a_digit":
        return None
    assert rv.status_code == 200, rv.json
    return rv.json["digit"]


def test_canvas_renders_of_200_heldout_digits(real_client, heldout):
    images, labels = heldout
    rng = np.random.default_rng(7)
    right = 0
    for digit, label in zip(images, labels, strict=False):
        rv = real_client.post("/api/predict", data=canvas_png(digit, **random_strokes(rng)), content_type="image/png")
        right += read_digit(rv) == label
    assert right / len(labels) >= 0.95, f"{right}/{len(labels)} right"


def test_raw_mnist_digits(real_client, heldout):
    """The 28×28 digits themselves, sent as PNGs, go through the same path."""
    import io

    from PIL import Image

    images, labels = heldout
    right = 0
    for digit, label in zip(images, labels, strict=False):
        buf = io.BytesIO()
        Image.fromarray(digit).save(buf, format="PNG")
        right += read_digit(real_client.post("/api/predict", data=buf.getvalue(), content_type="image/png")) == label
    assert right / len(labels) >= 0.97, f"{right}/{len(labels)} right"


def test_fixtures_are_read_right(real_client):
    cases = [("canvas-7.png", 7), ("inverted-7.png", 7), ("exif-rotated-7.jpg", 7), ("small-offcentre-3.png", 3)]
    for name, digit in cases:
        rv = real_client.post("/api/predict", data=resource(name), content_type="image/png")
        assert rv.status_code == 200
        assert rv.json["digit"] == digit, name
        assert rv.json["confidence"] > 0.9, name


def test_rotated_photo_needs_its_exif(real_client):
    """Without the EXIF turn, the sideways 7 would not read as 7: proof that the orientation is applied."""
    import io

    from PIL import Image

    img = Image.open(io.BytesIO(resource("exif-rotated-7.jpg")))
    buf = io.BytesIO()
    img.save(buf, format="PNG")  # drops the EXIF orientation
    rv = real_client.post("/api/predict", data=buf.getvalue(), content_type="image/png")
    assert rv.json["digit"] != 7 or rv.json["confidence"] < 0.9


def _read_right(client, images, labels, make) -> float:
    right = 0
    for digit, label in zip(images, labels, strict=True):
        data, ext = make(digit)
        rv = client.post("/api/predict", data=data, content_type="image/jpeg" if ext == "jpg" else "image/png")
        right += read_digit(rv) == label
    return right / len(labels)


def test_phone_photos_of_heldout_digits(real_client, heldout):
    """Paper photographed with falling light, a hard-edged shadow, tint, noise, blur, a tilt and EXIF turns: the
    shadow's edge and the paper's edge must not be read as strokes. (Smaller frames than the evaluation set's, for
    time; the same generator.)"""
    from digitpred.synth.evalsets import photo

    images, labels = heldout
    rng = np.random.default_rng(11)
    share = _read_right(real_client, images[:100], labels[:100], lambda d: photo(d, rng, size=(480, 640)))
    assert share >= 0.95, share


def test_low_resolution_scans_of_heldout_digits(real_client, heldout):
    """Digits 8 to 32 pixels tall, enlarged blocky or blurred, thick pens, palette and 16-bit files."""
    from digitpred.synth.evalsets import scan

    images, labels = heldout
    rng = np.random.default_rng(11)
    assert _read_right(real_client, images, labels, lambda d: scan(d, rng)) >= 0.95


def test_tiny_scans_of_heldout_digits(real_client, heldout):
    """Digits scanned at 8 to 16 cells a side, filling the frame, enlarged blocky or smooth, either polarity."""
    from digitpred.synth.evalsets import tiny

    images, labels = heldout
    rng = np.random.default_rng(11)
    assert _read_right(real_client, images, labels, lambda d: tiny(d, rng)) >= 0.95


def test_notebook_photos_of_heldout_digits(real_client, heldout):
    """Ruled and squared notebook paper: the printed lines run under and past the digit and must not join it."""
    from digitpred.synth.evalsets import notebook

    images, labels = heldout
    rng = np.random.default_rng(11)
    share = _read_right(real_client, images[:100], labels[:100], lambda d: notebook(d, rng, size=(480, 640)))
    assert share >= 0.95, share
