"""The hostile-input corpus (tests/resources/make_bad_inputs.py) through every way in: the three input forms
of /api/predict, number mode, both forms of the batch and the upload form on the page.

Every bad file gets a 4xx with its own code and the valid but odd ones are read right, by the real model.
Each answer is quick by design rather than by a stopwatch: sizes and frame counts are read from headers
before any pixel is decoded, the work on an image is bounded by MAX_IMAGE_PIXELS and the preprocessing's
512-pixel working size, and JSON is measured before it is parsed.
"""

from __future__ import annotations

import base64
import io
import json
import mimetypes
import re

import pytest

from digitpred import create_app
from tests.helpers import resource
from tests.resources.make_bad_inputs import big, heldout_digit, hostile, odd

DIGIT, LABEL = heldout_digit()
HOSTILE = hostile(DIGIT)
ODD = odd(DIGIT)

# Each file the service must refuse: (status, code), the same whichever way it comes in.
EXPECTED = {
    "empty.png": (400, "missing_image"),
    "truncated.png": (415, "invalid_image"),
    "truncated.jpg": (415, "invalid_image"),
    "text.png": (415, "invalid_image"),
    "page.png": (415, "invalid_image"),
    "script.svg": (415, "invalid_image"),
    "document.pdf": (415, "invalid_image"),
    "one-pixel.png": (422, "image_too_small"),
    "strip.png": (413, "image_side_too_large"),
    "bomb.png": (413, "image_too_large"),
    "frames.gif": (413, "too_many_frames"),
}
FORMS = ["multipart", "raw", "json-base64", "json-data-url", "json-number", "batch-multipart", "batch-json", "page"]


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {**HOSTILE, **big(), **ODD}


@pytest.fixture(scope="module")
def client():
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}
    )
    return app.test_client()


def declared_type(name: str) -> str:
    """What a client would claim: the type its name suggests where that is an image type."""
    guess = mimetypes.guess_type(name)[0] or ""
    return guess if guess.startswith("image/") else "image/png"


def send(client, form: str, name: str, data: bytes):
    text = base64.b64encode(data).decode()
    if form == "multipart":
        return client.post("/api/predict", data={"image": (io.BytesIO(data), name)})
    if form == "raw":
        return client.post("/api/predict", data=data, content_type=declared_type(name))
    if form == "json-base64":
        return client.post("/api/predict", json={"image": text})
    if form == "json-data-url":
        return client.post("/api/predict", json={"image": f"data:{declared_type(name)};base64,{text}"})
    if form == "json-number":
        return client.post("/api/predict", json={"image": text, "mode": "number"})
    if form == "batch-multipart":
        return client.post("/api/predict/batch", data={"images": [(io.BytesIO(data), name)]})
    if form == "batch-json":
        return client.post("/api/predict/batch", json={"images": [text]})
    if form == "page":
        return client.post("/", data={"image": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    raise AssertionError(form)


def error_of(rv) -> tuple[int, str]:
    assert rv.is_json, rv.get_data(as_text=True)[:300]
    body = rv.json
    if "results" in body:  # a batch answers 200 with each item's own error
        assert rv.status_code == 200 and len(body["results"]) == 1
        body = body["results"][0]
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and len(body["error"]["message"]) > 10
    return rv.status_code, body["error"]["code"]


def page_error(rv) -> str:
    html = rv.get_data(as_text=True)
    match = re.search(r'<p class="error" id="result-error">([^<]+)</p>', html)
    assert match, html[:500]
    return match.group(1)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", EXPECTED)
def test_hostile_file_is_refused_with_its_code(client, files, name, form):
    rv = send(client, form, name, files[name])
    status, code = EXPECTED[name]
    if form == "page":
        assert 400 <= rv.status_code < 500, rv.status_code
        assert len(page_error(rv)) > 10
        return
    answered_status, answered_code = error_of(rv)
    assert answered_code == code
    if not form.startswith("batch"):
        assert answered_status == status


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", ODD)
def test_odd_but_valid_image_is_read(client, files, name, form):
    rv = send(client, form, name, files[name])
    assert rv.status_code == 200, rv.get_data(as_text=True)[:300]
    if form == "page":
        assert re.search(rf'id="result-digit"[^>]*>\s*{LABEL}\s*<', rv.get_data(as_text=True))
    elif form == "json-number":
        assert rv.json["number"] == str(LABEL)
    elif form.startswith("batch"):
        assert rv.json["results"][0]["digit"] == LABEL
    else:
        assert rv.json["digit"] == LABEL


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


PNG = resource("canvas-7.png")
DEEP = b"[" * 100_000 + b"]" * 100_000
REQUESTS = [
    # (id, path, request kwargs, status, code)
    ("no-body", "/api/predict", {}, 400, "missing_image"),
    ("empty-raw-body", "/api/predict", {"data": b"", "content_type": "image/png"}, 400, "missing_image"),
    ("empty-json-body", "/api/predict", {"data": b"", "content_type": "application/json"}, 400, "invalid_json"),
    (
        "multipart-without-image",
        "/api/predict",
        {"data": {"picture": (io.BytesIO(PNG), "7.png")}},
        400,
        "missing_image",
    ),
    ("json-without-image", "/api/predict", {"json": {"picture": b64(PNG)}}, 400, "missing_image"),
    ("batch-without-images", "/api/predict/batch", {"json": {"image": b64(PNG)}}, 400, "missing_image"),
    ("invalid-base64", "/api/predict", {"json": {"image": "iVBOR%%%w0KGgo="}}, 400, "invalid_base64"),
    (
        "invalid-base64-data-url",
        "/api/predict",
        {"json": {"image": "data:image/png;base64,***"}},
        400,
        "invalid_base64",
    ),
    ("not-base64-data-url", "/api/predict", {"json": {"image": "data:image/png,rawtext"}}, 400, "invalid_base64"),
    (
        "html-data-url",
        "/api/predict",
        {"json": {"image": "data:text/html;base64," + b64(b"<p>hi</p>")}},
        415,
        "unsupported_media_type",
    ),
    (
        "pdf-data-url",
        "/api/predict",
        {"json": {"image": "data:application/pdf;base64," + b64(b"%PDF-1.4")}},
        415,
        "unsupported_media_type",
    ),
    ("image-a-number", "/api/predict", {"json": {"image": 7}}, 400, "invalid_image_field"),
    ("image-null", "/api/predict", {"json": {"image": None}}, 400, "invalid_image_field"),
    ("image-a-list", "/api/predict", {"json": {"image": [b64(PNG)]}}, 400, "invalid_image_field"),
    ("image-an-object", "/api/predict", {"json": {"image": {"data": b64(PNG)}}}, 400, "invalid_image_field"),
    ("mode-a-number", "/api/predict", {"json": {"image": b64(PNG), "mode": 1}}, 400, "invalid_mode"),
    ("mode-unknown", "/api/predict", {"json": {"image": b64(PNG), "mode": "letters"}}, 400, "invalid_mode"),
    ("body-a-list", "/api/predict", {"json": [b64(PNG)]}, 400, "missing_image"),
    ("body-a-string", "/api/predict", {"json": b64(PNG)}, 400, "missing_image"),
    ("images-a-string", "/api/predict/batch", {"json": {"images": b64(PNG)}}, 400, "missing_image"),
    (
        "truncated-json",
        "/api/predict",
        {"data": b'{"image": "iVBOR', "content_type": "application/json"},
        400,
        "invalid_json",
    ),
    ("deep-json", "/api/predict", {"data": DEEP, "content_type": "application/json"}, 422, "json_too_deep"),
    ("deep-json-batch", "/api/predict/batch", {"data": DEEP, "content_type": "application/json"}, 422, "json_too_deep"),
    ("nested-image", "/api/predict", {"json": {"image": json.loads("[" * 20 + "]" * 20)}}, 422, "json_too_deep"),
    ("text-plain", "/api/predict", {"data": PNG, "content_type": "text/plain"}, 415, "unsupported_media_type"),
    (
        "octet-stream",
        "/api/predict",
        {"data": PNG, "content_type": "application/octet-stream"},
        415,
        "unsupported_media_type",
    ),
    ("xml", "/api/predict", {"data": b"<image/>", "content_type": "application/xml"}, 415, "unsupported_media_type"),
    (
        "json-labelled-png",
        "/api/predict",
        {"data": b'{"image": "x"}', "content_type": "image/png"},
        415,
        "invalid_image",
    ),
    (
        "batch-raw-image",
        "/api/predict/batch",
        {"data": PNG, "content_type": "image/png"},
        415,
        "unsupported_media_type",
    ),
]


@pytest.mark.parametrize(("path", "kwargs", "status", "code"), [r[1:] for r in REQUESTS], ids=[r[0] for r in REQUESTS])
def test_malformed_request_is_refused_with_its_code(client, path, kwargs, status, code):
    assert error_of(client.post(path, **kwargs)) == (status, code)


def test_fifty_megabyte_json(client):
    body = b'{"image": "' + b"A" * (50 * 1024 * 1024) + b'"}'
    rv = client.post("/api/predict", data=body, content_type="application/json")
    assert error_of(rv) == (413, "json_too_large")


def test_page_form_without_a_file(client):
    rv = client.post("/", data={"mode": "digit"}, content_type="multipart/form-data")
    assert rv.status_code == 400 and "Choose an image" in page_error(rv)


def test_still_serving_after_the_corpus(client):
    assert client.get("/api/health").json["status"] == "ok"
    rv = client.post("/api/predict", data=PNG, content_type="image/png")
    assert rv.status_code == 200 and rv.json["digit"] == 7


@pytest.mark.parametrize("mode", ["number", "lines"])
def test_a_picture_of_grain_is_no_number(client, mode):
    """Thousands of specks and nothing else (a texture, a noisy blank scan) are no number: refused at once as more
    separate marks than a number or a page of numbers has. The search and the chaining of lines grow with the
    marks' count (as its square for lines): they read such a picture as 111111 after ten seconds, and refused it
    as 2,275 numbers after thirty."""
    import numpy as np
    from PIL import Image

    grain = np.full((600, 600), 255, np.uint8)
    rng = np.random.default_rng(0)
    for y, x in zip(rng.integers(0, 597, 3000), rng.integers(0, 597, 3000), strict=True):
        grain[y : y + 2, x : x + 2] = 0
    buffer = io.BytesIO()
    Image.fromarray(grain).save(buffer, format="PNG")
    rv = client.post(f"/api/predict?mode={mode}", data=buffer.getvalue(), content_type="image/png")
    assert error_of(rv) == (422, "too_many_digits")
    assert "separate marks" in rv.json["error"]["message"]
