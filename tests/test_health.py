"""Health a load balancer can act on: /api/health/live answers while the process does, /api/health/ready only
while the model can serve; neither is rate limited."""

from __future__ import annotations

from digitpred import create_app


def test_live_and_ready_with_a_model(client):
    assert client.get("/api/health/live").json == {"status": "ok"}
    rv = client.get("/api/health/ready")
    assert rv.status_code == 200 and rv.json == {"status": "ready", "model_loaded": True}


def test_ready_loads_the_model_it_reports_on(real_client, real_app):
    assert real_app.extensions["digitpred"]["model"].ready is False
    assert real_client.get("/api/health/ready").status_code == 200
    assert real_app.extensions["digitpred"]["model"].ready is True


def test_not_ready_without_the_model_file(config, tmp_path):
    client = create_app({**config, "MODEL_PATH": str(tmp_path / "missing.tflite")}).test_client()
    assert client.get("/api/health/live").status_code == 200
    rv = client.get("/api/health/ready")
    assert rv.status_code == 503
    assert rv.json["error"]["code"] == "model_not_ready"
    assert "the model file is missing" in rv.json["error"]["message"]
    assert client.get("/api/health").json["status"] == "degraded"  # the old route keeps its body


def test_not_ready_with_a_broken_model_file(config, tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer")
    rv = create_app({**config, "MODEL_PATH": str(bad)}).test_client().get("/api/health/ready")
    assert rv.status_code == 503 and rv.json["error"]["code"] == "model_not_ready"
    assert "could not be loaded" in rv.json["error"]["message"]


def test_probes_are_never_rate_limited(config, fake_model):
    app = create_app({**config, "RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "2 per minute"})
    app.extensions["digitpred"]["model"].set(fake_model)
    client = app.test_client()
    for _ in range(5):
        assert client.get("/api/health/live").status_code == 200
        assert client.get("/api/health/ready").status_code == 200
    assert [client.get("/api/model").status_code for _ in range(3)] == [200, 200, 429]
