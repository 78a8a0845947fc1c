from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from digitpred import create_app
from digitpred.corrections.tables import Correction
from digitpred.extensions import db
from tests.helpers import canvas_png, csrf_token, resource

TOKEN = "review-token-for-tests"


@pytest.fixture
def review_app(db_app):
    db_app.config["REVIEW_TOKEN"] = TOKEN
    return db_app


def correct(client, image: bytes, label: str) -> int:
    rv = client.post("/api/corrections", data={"image": (io.BytesIO(image), "d.png"), "label": label})
    assert rv.status_code == 201, rv.json
    return rv.json["id"]


BEARER = {"Authorization": f"Bearer {TOKEN}"}


def test_off_without_a_token(config, tmp_path):
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    client = app.test_client()
    for path in ("/review/", "/review/login", "/review/static/review.css", "/review/1/original"):
        assert client.get(path, headers=BEARER).status_code == 404, path
    assert client.post("/review/1/status", data={"status": "discarded"}, headers=BEARER).status_code == 404


def test_refused_without_the_token(review_app):
    client = review_app.test_client()
    correct(client, resource("canvas-7.png"), "7")
    rv = client.get("/review/")
    assert rv.status_code == 401 and 'name="token"' in rv.get_data(as_text=True)  # the login form, no corrections
    assert "data:image/png" not in rv.get_data(as_text=True)
    for headers in ({"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {}):
        assert client.get("/review/", headers=headers).status_code == 401
        assert client.post("/review/1/status", data={"status": "discarded"}, headers=headers).status_code == 401
        assert client.get("/review/1/original", headers=headers).status_code == 401
    with review_app.app_context():
        assert db.session.get(Correction, 1).status == "kept"


def test_bearer_token_lists_filters_and_discards(review_app, heldout):
    client = review_app.test_client()
    images, labels = heldout
    ids = {label: correct(client, canvas_png(images[i]), label) for i, label in enumerate("7153")}
    html = client.get("/review/", headers=BEARER).get_data(as_text=True)
    assert html.count('class="thumb') == 4 and html.count("data:image/png;base64,") == 4
    # the fake model reads everything as 3: filtered by true digit, and by predicted digit
    html = client.get("/review/?truth=7", headers=BEARER).get_data(as_text=True)
    assert html.count('class="thumb') == 1 and f"#{ids['7']} " in html
    assert client.get("/review/?predicted=3", headers=BEARER).get_data(as_text=True).count('class="thumb') == 4
    assert client.get("/review/?predicted=3&wrong=1", headers=BEARER).get_data(as_text=True).count('class="thumb') == 3
    assert client.get("/review/?predicted=5", headers=BEARER).get_data(as_text=True).count('class="thumb') == 0

    rv = client.post(f"/review/{ids['1']}/status", data={"status": "discarded"}, headers=BEARER)
    assert rv.status_code == 302
    with review_app.app_context():
        assert db.session.get(Correction, ids["1"]).status == "discarded"
    assert client.get("/review/", headers=BEARER).get_data(as_text=True).count('class="thumb') == 3
    html = client.get("/review/?status=discarded", headers=BEARER).get_data(as_text=True)
    assert html.count('class="thumb') == 1 and "Restore" in html
    assert client.post("/review/999/status", data={"status": "discarded"}, headers=BEARER).status_code == 404
    assert client.post(f"/review/{ids['1']}/status", data={"status": "x"}, headers=BEARER).status_code == 400


def test_the_confusion_chart_counts_kept_corrections(review_app, heldout):
    client = review_app.test_client()
    images, _ = heldout
    for i, label in enumerate("77713"):
        correct(client, canvas_png(images[i]), label)
    html = client.get("/review/", headers=BEARER).get_data(as_text=True)
    # row 7 (true), column 3 (read): three mistakes, the darkest cell; the confirmed 3 sits on the diagonal
    assert re.search(r'<td class="heat-5"><a href="[^"]*truth=7&amp;predicted=3[^"]*"[^>]*>3</a>', html), html
    assert re.search(r'<td class="diag"><a [^>]*>1</a>', html)
    assert "5 kept answers people checked, 4 of them wrong" in html


def test_login_form_then_discard_with_csrf(review_app):
    client = review_app.test_client()
    cid = correct(client, resource("canvas-7.png"), "7")
    token = csrf_token(client.get("/review/login").get_data(as_text=True))
    rv = client.post("/review/login", data={"token": "nope", "csrf_token": token})
    assert rv.status_code == 401 and "not the review token" in rv.get_data(as_text=True)
    assert client.post("/review/login", data={"token": TOKEN}).status_code == 400  # no CSRF token
    rv = client.post("/review/login", data={"token": TOKEN, "csrf_token": token})
    assert rv.status_code == 302
    html = client.get("/review/").get_data(as_text=True)
    assert f"#{cid} " in html
    # a logged-in browser must send the form's CSRF token: a forged cross-site post is refused
    assert client.post(f"/review/{cid}/status", data={"status": "discarded"}).status_code == 400
    rv = client.post(f"/review/{cid}/status", data={"status": "discarded", "csrf_token": csrf_token(html)})
    assert rv.status_code == 302
    with review_app.app_context():
        assert db.session.scalars(select(Correction.status)).one() == "discarded"
    # a changed token logs the session out
    review_app.config["REVIEW_TOKEN"] = "another"
    assert client.get("/review/").status_code == 401


def test_the_original_is_served_as_an_image(review_app):
    client = review_app.test_client()
    cid = correct(client, resource("canvas-7.png"), "7")
    rv = client.get(f"/review/{cid}/original", headers=BEARER)
    assert rv.status_code == 200 and rv.mimetype == "image/png" and rv.data == resource("canvas-7.png")
    assert rv.headers["X-Content-Type-Options"] == "nosniff"


def test_a_numeric_token_from_the_environment_works(review_app):
    review_app.config["REVIEW_TOKEN"] = 12345  # what FLASK_REVIEW_TOKEN=12345 becomes
    client = review_app.test_client()
    assert client.get("/review/", headers={"Authorization": "Bearer 12345"}).status_code == 200
    assert client.get("/review/", headers={"Authorization": "Bearer 1234"}).status_code == 401
