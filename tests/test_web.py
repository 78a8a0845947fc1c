from __future__ import annotations

import io
import re

from tests.helpers import csrf_token, resource


def test_page(client):
    rv = client.get("/")
    assert rv.status_code == 200
    html = rv.get_data(as_text=True)
    assert "<canvas" in html
    assert 'name="image"' in html and 'enctype="multipart/form-data"' in html
    assert "csrf_token" in html
    assert "https://" not in html and "http://" not in html  # every asset is served by the app


def test_static_assets_are_served(client):
    html = client.get("/").get_data(as_text=True)
    for asset in ("/static/web/js/app.js", "/static/web/css/app.css"):
        assert asset in html
        assert client.get(asset).status_code == 200


def upload(client, name, token):
    data = {"image": (io.BytesIO(resource(name)), name)}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/", data=data, content_type="multipart/form-data")


def test_upload_form_with_csrf_token_renders_the_answer(real_app):
    client = real_app.test_client()
    token = csrf_token(client.get("/").get_data(as_text=True))
    rv = upload(client, "canvas-7.png", token)
    assert rv.status_code == 200
    html = rv.get_data(as_text=True)
    assert re.search(r'id="result-digit"[^>]*>\s*7\s*<', html), "the page does not show the digit 7"
    assert "data:image/png;base64," in html


def test_upload_form_without_csrf_token_is_refused(client, fake_model):
    client.get("/")
    rv = upload(client, "canvas-7.png", None)
    assert rv.status_code == 400
    assert fake_model.batches == []


def test_upload_form_rejects_other_file_types(client, fake_model):
    token = csrf_token(client.get("/").get_data(as_text=True))
    data = {"image": (io.BytesIO(b"text"), "notes.txt"), "csrf_token": token}
    rv = client.post("/", data=data, content_type="multipart/form-data")
    assert rv.status_code == 400
    assert "PNG, JPEG" in rv.get_data(as_text=True)
    assert fake_model.batches == []


def test_upload_form_reports_a_blank_image(client):
    token = csrf_token(client.get("/").get_data(as_text=True))
    rv = upload(client, "blank.png", token)
    assert rv.status_code == 422
    assert "no digit" in rv.get_data(as_text=True).lower()


def test_model_card(client, app):
    meta = app.extensions["digitpred"]["metadata"]
    html = client.get("/model").get_data(as_text=True)
    assert f"{meta['validation']['accuracy'] * 100:.2f}%" in html
    assert app.extensions["digitpred"]["model_path"] and client.get("/model").status_code == 200
    for name, figures in meta.get("evaluations", {}).items():
        assert name in html and f"{figures['accuracy'] * 100:.2f}%" in html


def test_model_card_without_metadata(config, tmp_path):
    from digitpred import create_app

    app = create_app({**config, "MODEL_PATH": str(tmp_path / "x.tflite")})
    rv = app.test_client().get("/model")
    assert rv.status_code == 200
    assert "no metadata" in rv.get_data(as_text=True)


def test_upload_form_reads_a_number_without_javascript(real_app):
    from PIL import Image, ImageOps

    from tests.helpers import RESOURCES, png_bytes

    def flat(name):
        img = Image.open(RESOURCES / name).convert("RGBA")
        white = Image.new("RGBA", img.size, "white")
        white.alpha_composite(img)
        grey = white.convert("L")
        left, _, right, _ = ImageOps.invert(grey).getbbox()
        return grey.crop((max(0, left - 20), 0, min(grey.width, right + 20), grey.height))

    seven, three = flat("canvas-7.png"), flat("small-offcentre-3.png")
    row = Image.new("L", (seven.width + three.width + 40, 280), 255)
    row.paste(seven, (0, 0))
    row.paste(three, (seven.width + 40, 0))

    client = real_app.test_client()
    token = csrf_token(client.get("/").get_data(as_text=True))
    data = {"image": (io.BytesIO(png_bytes(row)), "number.png"), "csrf_token": token, "mode": "number"}
    rv = client.post("/", data=data, content_type="multipart/form-data")
    assert rv.status_code == 200
    html = rv.get_data(as_text=True)
    match = re.search(r'id="number-value"[^>]*>\s*(\d+)\s*<', html)
    assert match and match.group(1) == "73", "the page does not show the number 73"
    assert html.count('class="digit-card') == 2
    assert re.search(r'id="number-body"(?![^>]*hidden)', html), "the number is rendered hidden"


def test_security_headers(client):
    for path in ("/", "/api/health", "/api/nothing"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_page_has_no_inline_script_or_style(client):
    html = client.get("/").get_data(as_text=True)
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
