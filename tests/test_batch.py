from __future__ import annotations

import base64
import io

import pytest

from tests.helpers import resource


def b64(name: str) -> str:
    return base64.b64encode(resource(name)).decode()


def test_multipart_batch_in_order_with_per_item_errors(client, fake_model):
    files = [(io.BytesIO(resource(n)), n) for n in ("canvas-7.png", "blank.png", "not-an-image.png", "inverted-7.png")]
    rv = client.post("/api/predict/batch", data={"images": files}, content_type="multipart/form-data")
    assert rv.status_code == 200, rv.json
    results = rv.json["results"]
    assert [r.get("digit", r.get("error", {}).get("code")) for r in results] == [3, "no_digit", "invalid_image", 3]
    assert len(fake_model.batches) == 1 and fake_model.batches[0].shape == (2, 28, 28, 1)  # one forward pass


def test_json_batch(client):
    images = [b64("canvas-7.png"), "data:image/png;base64," + b64("small-offcentre-3.png"), "###", 5]
    rv = client.post("/api/predict/batch", json={"images": images})
    assert rv.status_code == 200
    codes = [r.get("error", {}).get("code") for r in rv.json["results"]]
    assert codes == [None, None, "invalid_base64", "invalid_image_field"]


def test_real_model_batch_matches_single(real_client):
    names = ["canvas-7.png", "small-offcentre-3.png", "inverted-7.png", "exif-rotated-7.jpg"]
    rv = real_client.post("/api/predict/batch", json={"images": [b64(n) for n in names]})
    batch = rv.json["results"]
    for name, answer in zip(names, batch, strict=True):
        single = real_client.post("/api/predict", data=resource(name), content_type="image/png").json
        assert answer["digit"] == single["digit"]
        assert answer["probabilities"] == pytest.approx(single["probabilities"], abs=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {"images": []}}, 400, "missing_image"),
        ({"json": {"image": "x"}}, 400, "missing_image"),
        ({"json": {"images": "not a list"}}, 400, "missing_image"),
        ({"data": b"{", "content_type": "application/json"}, 400, "invalid_json"),
        ({"data": b"x", "content_type": "image/png"}, 415, "unsupported_media_type"),
        ({"data": {}, "content_type": "multipart/form-data"}, 400, "missing_image"),
    ],
)
def test_batch_errors(client, kwargs, status, code):
    rv = client.post("/api/predict/batch", **kwargs)
    assert rv.status_code == status
    assert rv.json["error"]["code"] == code


def test_batch_limit(faked_client):
    rv = faked_client(MAX_BATCH=2).post("/api/predict/batch", json={"images": [b64("canvas-7.png")] * 3})
    assert rv.status_code == 413
    assert rv.json["error"]["code"] == "batch_too_large"
    assert "2" in rv.json["error"]["message"]


def test_threads_answer_exactly_as_one_thread_does(config, heldout):
    """BATCH_WORKERS threads decode and preprocess the images: the same answers, errors in their places."""
    from digitpred import create_app
    from tests.helpers import canvas_png

    images = [canvas_png(heldout[0][i]) for i in range(12)]
    for i, name in ((1, "blank.png"), (5, "not-an-image.png"), (6, "truncated.png"), (11, "exif-rotated-7.jpg")):
        images[i] = resource(name)
    body = {"images": [base64.b64encode(image).decode() for image in images]}
    answers = []
    for workers in (1, 4):
        app = create_app({**config, "BATCH_WORKERS": workers})
        assert app.extensions["digitpred"]["settings"].batch_workers == workers
        rv = app.test_client().post("/api/predict/batch", json=body)
        assert rv.status_code == 200
        answers.append(rv.json["results"])
    assert answers[0] == answers[1]
    codes = [r.get("error", {}).get("code") for r in answers[1]]
    assert codes == [None, "no_digit", None, None, None, "invalid_image", "invalid_image", None, None, None, None, None]
    assert [r["digit"] for r in answers[1] if "digit" in r] == [*heldout[1][[0, 2, 3, 4, 7, 8, 9, 10]], 7]


def test_one_image_after_another_without_threads(config):
    from digitpred import create_app

    app = create_app({**config, "BATCH_WORKERS": 0})
    assert app.extensions["digitpred"]["settings"].batch_workers == 1
    rv = app.test_client().post("/api/predict/batch", json={"images": [b64("blank.png"), b64("canvas-7.png")]})
    assert [r.get("error", {}).get("code") for r in rv.json["results"]] == ["no_digit", None]
