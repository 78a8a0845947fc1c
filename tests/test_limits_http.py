"""Rate limiting per client address, and CORS for API clients in browsers."""

from __future__ import annotations

import pytest

from digitpred import create_app
from tests.helpers import resource


@pytest.fixture
def limited(config, fake_model):
    """An app with rate limiting on (the test config turns it off), built last: the limiter is per process."""
    app = create_app({**config, "RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "3 per minute"})
    app.extensions["digitpred"]["model"].set(fake_model)
    return app


def test_over_the_limit_is_a_429_json_error_with_retry_after(limited):
    client = limited.test_client()
    for _ in range(3):
        assert client.post("/api/predict", data=resource("canvas-7.png"), content_type="image/png").status_code == 200
    rv = client.post("/api/predict", data=resource("canvas-7.png"), content_type="image/png")
    assert rv.status_code == 429
    assert rv.json["error"]["code"] == "rate_limited" and "3 per 1 minute" in rv.json["error"]["message"]
    assert 1 <= int(rv.headers["Retry-After"]) <= 61
    assert client.get("/api/model").status_code == 200  # each route has its own budget
    for _ in range(5):
        assert client.get("/api/health").status_code == 200  # monitors are never limited


def test_the_limit_is_per_client_address(limited):
    client = limited.test_client()
    for _ in range(4):
        client.get("/api/model", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert client.get("/api/model", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 429
    assert client.get("/api/model", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 200


def test_page_form_is_limited_before_its_csrf_check(limited):
    client = limited.test_client()
    for _ in range(3):
        client.get("/")
    rv = client.post("/", data={}, content_type="multipart/form-data")
    assert rv.status_code == 429 and "Retry-After" in rv.headers
    assert client.get("/static/web/css/app.css").status_code == 200  # static files are never limited


def test_rate_limiting_is_off_in_the_test_config(client):
    for _ in range(400):
        assert client.get("/api/model").status_code == 200


def test_cors_is_off_by_default(client):
    rv = client.get("/api/health", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in rv.headers


def test_cors_for_named_origins(faked_client):
    client = faked_client(CORS_ORIGINS="https://a.example, https://b.example")
    rv = client.post(
        "/api/predict",
        data=resource("canvas-7.png"),
        content_type="image/png",
        headers={"Origin": "https://b.example"},
    )
    assert rv.status_code == 200
    assert rv.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "Origin" in rv.headers["Vary"] and "Retry-After" in rv.headers["Access-Control-Expose-Headers"]
    # Errors carry it too, so that a browser client can read them.
    rv = client.post("/api/predict", json={}, headers={"Origin": "https://a.example"})
    assert rv.status_code == 400 and rv.headers["Access-Control-Allow-Origin"] == "https://a.example"
    rv = client.get("/api/health", headers={"Origin": "https://c.example"})
    assert "Access-Control-Allow-Origin" not in rv.headers
    rv = client.get("/", headers={"Origin": "https://a.example"})
    assert "Access-Control-Allow-Origin" not in rv.headers  # the page is not an API


def test_cors_preflight(faked_client):
    client = faked_client(CORS_ORIGINS=["https://a.example"])
    rv = client.options(
        "/api/predict",
        headers={
            "Origin": "https://a.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert rv.status_code == 200
    assert rv.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert "POST" in rv.headers["Access-Control-Allow-Methods"]
    assert rv.headers["Access-Control-Allow-Headers"] == "Content-Type"


def test_cors_any_origin(faked_client):
    rv = faked_client(CORS_ORIGINS="*").get("/api/model", headers={"Origin": "https://x.example"})
    assert rv.headers["Access-Control-Allow-Origin"] == "*"
