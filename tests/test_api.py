from __future__ import annotations

import base64
import io

import numpy as np
import pytest

from digitpred import create_app
from tests.helpers import resource


def assert_prediction(body: dict) -> None:
    assert body["digit"] == 3  # the fake model's answer
    assert body["confidence"] == pytest.approx(0.82, abs=1e-6)
    assert len(body["probabilities"]) == 10
    assert sum(body["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    assert body["input"].startswith("data:image/png;base64,")
    assert body["uncertain"] is False


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_multipart(client, fake_model):
    rv = client.post("/api/predict", data={"image": (io.BytesIO(resource("canvas-7.png")), "7.png")})
    assert rv.status_code == 200, rv.json
    assert_prediction(rv.json)
    assert fake_model.batches[0].shape == (1, 28, 28, 1)


@pytest.mark.parametrize(
    "value",
    [
        "data:image/png;base64," + b64(resource("canvas-7.png")),
        b64(resource("canvas-7.png")),
        b64(resource("canvas-7.png")).rstrip("="),
        base64.urlsafe_b64encode(resource("canvas-7.png")).decode(),
    ],
    ids=["data-url", "bare-base64", "unpadded", "url-safe"],
)
def test_json(client, value):
    rv = client.post("/api/predict", json={"image": value})
    assert rv.status_code == 200, rv.json
    assert_prediction(rv.json)


@pytest.mark.parametrize("content_type", ["image/png", "image/jpeg", "image/anything"])
def test_raw_body(client, content_type):
    # The declared image type need not match: the bytes say what the image is.
    rv = client.post("/api/predict", data=resource("canvas-7.png"), content_type=content_type)
    assert rv.status_code == 200, rv.json
    assert_prediction(rv.json)


def test_input_is_the_28x28_image_the_model_saw(client, fake_model):
    from PIL import Image

    rv = client.post("/api/predict", data=resource("canvas-7.png"), content_type="image/png")
    img = Image.open(io.BytesIO(base64.b64decode(rv.json["input"].split(",", 1)[1])))
    assert img.size == (28, 28) and img.mode == "L"
    seen = fake_model.batches[0][0, :, :, 0]
    assert np.abs(np.asarray(img) / 255.0 - seen).max() <= 1 / 255 + 1e-6


def test_uncertain_flag(faked_client):
    rv = faked_client(UNCERTAIN_BELOW=0.9).post("/api/predict", data=resource("canvas-7.png"), content_type="image/png")
    assert rv.json["uncertain"] is True


def multipart(name: str, field: str = "image"):
    return {"data": {field: (io.BytesIO(resource(name)), name)}, "content_type": "multipart/form-data"}


ERRORS = [
    # (request kwargs, status, code)
    (multipart("canvas-7.png", field="picture"), 400, "missing_image"),
    ({"data": {"other": "x"}, "content_type": "multipart/form-data"}, 400, "missing_image"),
    ({"data": {"image": (io.BytesIO(b""), "empty.png")}, "content_type": "multipart/form-data"}, 400, "missing_image"),
    ({"json": {"picture": "abc"}}, 400, "missing_image"),
    ({"json": ["not", "an", "object"]}, 400, "missing_image"),
    ({"json": {"image": 42}}, 400, "invalid_image_field"),
    ({"json": {"image": "data:image/png;base64,@@@not base64@@@"}}, 400, "invalid_base64"),
    ({"json": {"image": "abcde"}}, 400, "invalid_base64"),
    ({"json": {"image": "abcd"}}, 415, "invalid_image"),
    ({"json": {"image": ""}}, 400, "missing_image"),
    ({"data": b'{"image": "abc', "content_type": "application/json"}, 400, "invalid_json"),
    ({"data": b"", "content_type": "image/png"}, 400, "missing_image"),
    ({}, 400, "missing_image"),
    ({"data": b"hello", "content_type": "text/plain"}, 415, "unsupported_media_type"),
    ({"json": {"image": "data:text/plain;base64," + b64(b"hello")}}, 415, "unsupported_media_type"),
    (multipart("not-an-image.png"), 415, "invalid_image"),
    (multipart("truncated.png"), 415, "invalid_image"),
    ({"data": resource("not-an-image.png"), "content_type": "image/png"}, 415, "invalid_image"),
    ({"json": {"image": b64(b"<svg xmlns='http://www.w3.org/2000/svg'/>")}}, 415, "invalid_image"),
    (multipart("blank.png"), 422, "no_digit"),
    (multipart("grey.jpg"), 422, "no_digit"),
]


@pytest.mark.parametrize(("kwargs", "status", "code"), ERRORS, ids=[f"{c}-{i}" for i, (_, _, c) in enumerate(ERRORS)])
def test_errors(client, kwargs, status, code):
    rv = client.post("/api/predict", **kwargs)
    assert rv.status_code == status, rv.get_data(as_text=True)
    assert rv.json["error"]["code"] == code
    assert isinstance(rv.json["error"]["message"], str) and len(rv.json["error"]["message"]) > 10
    assert set(rv.json) == {"error"}


def test_too_large(faked_client):
    rv = faked_client(MAX_CONTENT_LENGTH=1000).post(
        "/api/predict", data=resource("exif-rotated-7.jpg"), content_type="image/jpeg"
    )
    assert rv.status_code == 413
    assert rv.json["error"]["code"] == "request_too_large"


def test_too_many_pixels(faked_client):
    rv = faked_client(MAX_IMAGE_PIXELS=10_000).post(
        "/api/predict", data=resource("canvas-7.png"), content_type="image/png"
    )
    assert rv.status_code == 413
    assert rv.json["error"]["code"] == "image_too_large"


def test_model_unavailable(config, tmp_path):
    app = create_app({**config, "MODEL_PATH": str(tmp_path / "missing.tflite")})
    client = app.test_client()
    rv = client.post("/api/predict", data=resource("canvas-7.png"), content_type="image/png")
    assert rv.status_code == 503
    assert rv.json["error"]["code"] == "model_not_ready"
    health = client.get("/api/health").json
    assert health["model_loaded"] is False
    assert health["status"] == "degraded" and "could not be loaded" in health["reason"]


def test_an_unknown_mode_is_a_bad_request_even_when_the_model_cannot_load(config, tmp_path):
    app = create_app({**config, "MODEL_PATH": str(tmp_path / "missing.tflite")})
    rv = app.test_client().post("/api/predict?mode=words", data=resource("canvas-7.png"), content_type="image/png")
    assert rv.status_code == 400
    assert rv.json == {
        "error": {"code": "invalid_mode", "message": "mode must be one of digit, number, lines, not 'words'."}
    }
    assert app.extensions["digitpred"]["model"].loads == 0


def test_read_is_the_one_choice_of_mode(fake_model):
    from digitpred.ml.errors import InvalidMode
    from digitpred.ml.model import ModelHolder
    from digitpred.ml.service import MODES, NumberReading, Prediction, read

    assert MODES == ("digit", "number", "lines")
    digit = read(resource("canvas-7.png"), "digit", fake_model)
    assert isinstance(digit, Prediction) and digit.answer == "3"
    number = read(resource("canvas-7.png"), "number", ModelHolder(lambda: fake_model))
    assert isinstance(number, NumberReading) and number.answer == number.number and set(number.answer) == {"3"}
    never = ModelHolder(lambda: pytest.fail("the model is not needed to refuse a mode"))
    with pytest.raises(InvalidMode) as caught:
        read(resource("canvas-7.png"), "letters", never)
    assert (caught.value.status, caught.value.code) == (400, "invalid_mode")


def test_missing_model_is_reported_before_any_prediction(config, tmp_path, caplog):
    app = create_app({**config, "MODEL_PATH": str(tmp_path / "missing.tflite")})
    assert "no model file" in caplog.text
    health = app.test_client().get("/api/health").json
    assert health == {"status": "degraded", "model_loaded": False, "reason": "the model file is missing"}


def test_corrupt_model_file(config, tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer")
    app = create_app({**config, "MODEL_PATH": str(bad)})
    client = app.test_client()
    assert client.get("/api/health").json["status"] == "ok"  # not known to be broken until it is loaded
    rv = client.post("/api/predict", data=resource("canvas-7.png"), content_type="image/png")
    assert rv.status_code == 503
    assert rv.json["error"]["code"] == "model_not_ready"
    assert client.get("/api/health").json["status"] == "degraded"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/nothing-here", 404, "not_found"),
        ("get", "/api", 404, "not_found"),
        ("get", "/api/predict", 405, "method_not_allowed"),
        ("delete", "/api/health", 405, "method_not_allowed"),
    ],
)
def test_http_errors_share_the_shape(client, method, path, status, code):
    rv = getattr(client, method)(path)
    assert rv.status_code == status
    assert rv.is_json
    assert rv.json["error"]["code"] == code
    assert rv.json["error"]["message"]


def test_page_404_stays_html(client):
    rv = client.get("/no-such-page")
    assert rv.status_code == 404
    assert not rv.is_json


def test_health(real_client):
    assert real_client.get("/api/health").json == {"status": "ok", "model_loaded": False}
    real_client.post("/api/predict", data=resource("canvas-7.png"), content_type="image/png")
    assert real_client.get("/api/health").json == {"status": "ok", "model_loaded": True}


def test_model_metadata(real_client, real_app):
    import hashlib
    from pathlib import Path

    body = real_client.get("/api/model").json
    path = Path(real_app.extensions["digitpred"]["model_path"])
    assert body["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert body["name"] == "digitpred-cnn"
    assert body["input_shape"] == [28, 28, 1]
    assert body["validation_accuracy"] >= 0.994
    assert body["trained_at"] and body["version"]
