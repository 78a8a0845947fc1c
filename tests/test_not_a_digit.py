"""Refusing what is not a digit: the API's 422 not_a_digit with the closest digit, the setting that tunes it, the
page's note, number mode leaving a mark out, and the batch. A model with an eleventh class stands in for the
network, so each test says exactly how sure it is that the picture is no digit."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest

from digitpred import create_app
from digitpred.ml.errors import NotADigit
from digitpred.ml.service import Settings, read
from tests.helpers import resource


class ElevenClasses:
    """Reads every field as no digit with probability `not_a_digit`, and most of the rest as a 3; the X of
    `row_with_cross` gets `left` instead, so a row's marks can differ."""

    def __init__(self, not_a_digit: float, left: float | None = None) -> None:
        self.not_a_digit, self.left = not_a_digit, left

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        probs = np.zeros((len(batch), 11), dtype=np.float32)
        for i, field in enumerate(batch[..., 0]):
            p = self.not_a_digit
            if self.left is not None and field.sum() and _is_cross(field):
                p = self.left
            probs[i, 10] = p
            probs[i, 3] = (1 - p) * 0.9
            probs[i, :10] += (1 - p) * 0.1 / 10
        return probs


def _is_cross(field: np.ndarray) -> bool:
    """The X drawn in `row_with_cross`: ink in three of its field's corners, where a 1's stroke has none."""
    return bool(field[4:8, 4:8].sum() > 1 and field[4:8, 20:24].sum() > 1 and field[20:24, 4:8].sum() > 1)


def app_with(model, **settings):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "RATELIMIT_ENABLED": False, **settings})
    app.extensions["digitpred"]["model"].set(model)
    return app


def test_refused_with_closest_digit_in_the_one_error_shape():
    client = app_with(ElevenClasses(not_a_digit=0.9)).test_client()
    rv = client.post("/api/predict", data=resource("canvas-7.png"), content_type="image/png")
    assert rv.status_code == 422
    error = rv.json["error"]
    assert error["code"] == "not_a_digit" and error["message"] == "That doesn't look like a digit."
    assert error["closest"]["digit"] == 3 and error["closest"]["probability"] == pytest.approx(0.1 * 0.9 + 0.001)


def test_a_digit_is_answered_with_its_not_a_digit_share():
    client = app_with(ElevenClasses(not_a_digit=0.1)).test_client()
    rv = client.post("/api/predict", data=resource("canvas-7.png"), content_type="image/png")
    assert rv.status_code == 200
    assert rv.json["digit"] == 3 and rv.json["not_a_digit"] == pytest.approx(0.1)
    assert len(rv.json["probabilities"]) == 10


@pytest.mark.parametrize(("threshold", "status"), [(0.3, 422), (0.5, 200), (1.01, 200)])
def test_the_setting_tunes_how_readily_it_refuses(threshold, status):
    client = app_with(ElevenClasses(not_a_digit=0.4), NOT_A_DIGIT_ABOVE=threshold).test_client()
    rv = client.post("/api/predict", data=resource("canvas-7.png"), content_type="image/png")
    assert rv.status_code == status


@pytest.mark.parametrize(("threshold", "status"), [(0.85, 200), (0.5, 422)])
def test_a_mark_in_a_row_has_a_threshold_of_its_own(threshold, status):
    """Among the digits of a row a mark is most likely one: at 0.7 "not a digit" a lone image is refused at the
    default NOT_A_DIGIT_ABOVE, while a row leaves its mark out only at or above MARK_NOT_A_DIGIT_ABOVE."""
    client = app_with(ElevenClasses(not_a_digit=0.7), MARK_NOT_A_DIGIT_ABOVE=threshold).test_client()
    alone = client.post("/api/predict", data=resource("canvas-7.png"), content_type="image/png")
    assert alone.status_code == 422 and alone.json["error"]["code"] == "not_a_digit"
    row = client.post("/api/predict?mode=number", data=resource("canvas-7.png"), content_type="image/png")
    assert row.status_code == status
    if status == 200:
        assert row.json["number"] == "3"


def test_a_ten_class_model_never_refuses(fake_model):
    settings = Settings(not_a_digit_above=0.0)
    assert read(resource("canvas-7.png"), "digit", fake_model, settings).digit == 3


def test_the_page_says_so_and_shows_the_closest_guess():
    app = app_with(ElevenClasses(not_a_digit=0.95), WTF_CSRF_ENABLED=False)
    rv = app.test_client().post("/", data={"mode": "digit", "image": (io.BytesIO(resource("canvas-7.png")), "x.png")})
    assert rv.status_code == 422
    page = rv.get_data(as_text=True)
    assert "That doesn&#39;t look like a digit." in page or "That doesn't look like a digit." in page
    assert 'id="result-closest-digit">3<' in page


def test_batch_refuses_each_image_on_its_own():
    client = app_with(ElevenClasses(not_a_digit=0.9)).test_client()
    png = resource("canvas-7.png")
    rv = client.post("/api/predict/batch", json={"images": [_data_url(png), _data_url(png)]})
    assert rv.status_code == 200
    codes = [item.get("error", {}).get("code") for item in rv.json["results"]]
    assert codes == ["not_a_digit", "not_a_digit"]


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def row_with_cross() -> bytes:
    """A 1, an X and a 1 in a row, well apart."""
    from PIL import Image, ImageDraw

    from tests.helpers import png_bytes

    img = Image.new("L", (420, 140), 255)
    d = ImageDraw.Draw(img)
    d.line([(70, 20), (70, 120)], fill=0, width=10)
    d.line([(170, 25), (260, 115)], fill=0, width=10)
    d.line([(260, 25), (170, 115)], fill=0, width=10)
    d.line([(350, 20), (350, 120)], fill=0, width=10)
    return png_bytes(img)


def test_number_mode_leaves_out_a_mark_that_is_no_digit_and_says_so():
    client = app_with(ElevenClasses(not_a_digit=0.01, left=0.97)).test_client()
    rv = client.post("/api/predict?mode=number", data=row_with_cross(), content_type="image/png")
    assert rv.status_code == 200, rv.json
    assert rv.json["number"] == "33"
    [mark] = rv.json["left_out"]
    assert mark["kind"] == "not_a_digit" and mark["not_a_digit"] == pytest.approx(0.97)
    x, _, w, _ = mark["box"]
    assert 150 < x < 200 and 60 < w < 130  # the X's box, between the two strokes


def test_number_mode_with_nothing_but_non_digits_is_refused():
    settings = Settings()
    with pytest.raises(NotADigit):
        read(row_with_cross(), "number", ElevenClasses(not_a_digit=0.99), settings)
