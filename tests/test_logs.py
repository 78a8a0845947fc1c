"""The access log (one line per request, text or JSON, with a request id and no image data), the client's real
address behind trusted proxies (PROXY_FIX), and Vary: Origin whenever CORS origins are configured."""

from __future__ import annotations

import json
import logging

import pytest

from digitpred import create_app
from tests.helpers import resource


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access():
    """The access log's lines, as its handler writes them (it does not propagate to the root logger)."""
    logger, lines = logging.getLogger("digitpred.access"), Lines()
    logger.addHandler(lines)
    yield lambda: list(lines.lines)
    logger.removeHandler(lines)


def make(config, fake_model, **settings):
    app = create_app({**config, **settings})
    app.extensions["digitpred"]["model"].set(fake_model)
    return app.test_client()


def test_one_text_line_per_request_with_an_id(config, fake_model, access):
    client = make(config, fake_model)
    rv = client.post("/api/predict?secret=query", data=resource("canvas-7.png"), content_type="image/png")
    rid = rv.headers["X-Request-ID"]
    assert len(rid) == 32
    [line] = access()
    assert f"request_id={rid}" in line
    for part in ("method=POST", "route=/api/predict", "path=/api/predict", "status=200", "duration_ms=", "client="):
        assert part in line
    assert "secret" not in line  # no query string


def test_json_lines_carry_no_image_data(config, fake_model, access):
    client = make(config, fake_model, LOG_FORMAT="json")
    png = resource("canvas-7.png")
    client.post("/api/predict", json={"image": "data:image/png;base64," + __import__("base64").b64encode(png).decode()})
    client.post("/api/predict", data=b"junk", content_type="image/png")
    client.get("/nothing")
    lines = [json.loads(line) for line in access()]
    assert [(r["route"], r["status"]) for r in lines] == [
        ("/api/predict", 200),
        ("/api/predict", 415),
        ("unmatched", 404),
    ]
    assert set(lines[0]) == {"time", "request_id", "client", "method", "route", "path", "status", "duration_ms"}
    assert all(len(json.dumps(r)) < 400 for r in lines)  # never a body


def test_a_rate_limited_request_is_logged_too(config, fake_model, access):
    client = make(config, fake_model, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute")
    assert [client.get("/api/model").status_code for _ in range(2)] == [200, 429]
    assert [line.split("status=")[1].split()[0] for line in access()] == ["200", "429"]


def test_a_bad_log_format_is_refused_at_creation(config):
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        create_app({**config, "LOG_FORMAT": "xml"})


def test_the_request_id_of_a_trusted_proxy_is_kept(config, fake_model, access):
    direct = make(config, fake_model)
    assert direct.get("/api/health/live", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] != "abc-123"
    proxied = make(config, fake_model, PROXY_FIX=1)
    assert proxied.get("/api/health/live", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    # Nothing that could forge a log line passes, even from a trusted proxy.
    forged = proxied.get("/api/health/live", headers={"X-Request-ID": "x status=200 injected"})
    assert forged.headers["X-Request-ID"] != "x status=200 injected" and " " not in forged.headers["X-Request-ID"]
    assert "request_id=abc-123" in access()[1]


def test_proxy_fix_gives_the_limit_and_the_log_the_real_client(config, fake_model, access):
    client = make(config, fake_model, PROXY_FIX=1, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute")
    one, two = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.9"}
    assert [client.get("/api/model", headers=one).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/api/model", headers=two).status_code == 200  # another client behind the same proxy
    assert "client=203.0.113.7" in access()[0] and "client=198.51.100.9" in access()[-1]
    https = client.get("/api/health/live", headers={**two, "X-Forwarded-Proto": "https"})
    assert https.status_code == 200


def test_without_proxy_fix_forwarded_headers_are_ignored(config, fake_model):
    client = make(config, fake_model, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute")
    codes = [client.get("/api/model", headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 429]  # one client, whatever it claims


@pytest.mark.parametrize("origins", [["https://a.example"], "*"])
def test_vary_origin_whenever_origins_are_configured(config, fake_model, origins):
    client = make(config, fake_model, CORS_ORIGINS=origins)
    for headers in ({}, {"Origin": "https://a.example"}, {"Origin": "https://other.example"}):
        assert "Origin" in client.get("/api/model", headers=headers).headers.get("Vary", "")
    assert "Origin" not in make(config, fake_model).get("/api/model").headers.get("Vary", "")
