"""The rate limit in Redis: one count for every worker and host, and predictions that go on when Redis does not
answer (each worker counts on its own meanwhile, with a warning in the log)."""

from __future__ import annotations

import logging

from digitpred import create_app
from tests.helpers import free_port, resource


def make(config, fake_model, uri, limit="3 per minute"):
    app = create_app({**config, "RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": limit, "RATELIMIT_STORAGE_URI": uri})
    app.extensions["digitpred"]["model"].set(fake_model)
    return app.test_client()


def test_counts_live_in_redis(config, fake_model, redis_url):
    import redis

    client = make(config, fake_model, redis_url)
    png = resource("canvas-7.png")
    codes = [client.post("/api/predict", data=png, content_type="image/png").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert redis.Redis.from_url(redis_url).keys("*LIMITER*")  # the count is Redis's, not this process's


def test_a_redis_that_does_not_answer_never_stops_predictions(config, fake_model, caplog):
    caplog.set_level(logging.WARNING)
    client = make(config, fake_model, f"redis://127.0.0.1:{free_port()}/0", limit="2 per minute")
    png = resource("canvas-7.png")
    codes = [client.post("/api/predict", data=png, content_type="image/png").status_code for _ in range(3)]
    # Served, and still limited: the fallback counts in this worker with the same limit.
    assert codes == [200, 200, 429]
    assert "falling back to in-memory storage" in caplog.text


def test_redis_going_away_midway(config, fake_model, redis_url, tmp_path):
    import subprocess
    import time

    import redis

    # A second server of our own, stopped halfway through.
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client = make(config, fake_model, url, limit="100 per minute")
        png = resource("canvas-7.png")
        assert client.post("/api/predict", data=png, content_type="image/png").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert client.post("/api/predict", data=png, content_type="image/png").status_code == 200
