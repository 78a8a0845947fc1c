"""GET /metrics: Prometheus's text format, with what a team watches, counted right in one process and added up
across gunicorn's workers."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from digitpred import create_app
from tests.helpers import free_port, resource, wait_for_health


def samples(text: str) -> dict[tuple, float]:
    """{(name, (label, value), ...): value} for every sample."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, *sorted(s.labels.items()))] = s.value
    return out


def value(text: str, name: str, **labels) -> float:
    return samples(text).get((name, *sorted(labels.items())), 0.0)


def worker_value(folder: Path, pid: str, name: str, **labels) -> float:
    """One gunicorn worker's own count, from its files in the multiprocess folder alone."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    alone = folder.parent / f"worker-{pid}"
    alone.mkdir(exist_ok=True)
    for path in folder.glob(f"*_{pid}.db"):
        shutil.copy(path, alone / path.name)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(alone))
    return registry.get_sample_value(name, labels) or 0.0


def scrape(client) -> str:
    rv = client.get("/metrics")
    assert rv.status_code == 200 and rv.content_type.startswith("text/plain")
    return rv.get_data(as_text=True)


def test_requests_predictions_refusals_and_batches(client):
    png = resource("canvas-7.png")
    for _ in range(3):
        assert client.post("/api/predict", data=png, content_type="image/png").status_code == 200
    assert client.post("/api/predict?mode=number", data=png, content_type="image/png").status_code == 200
    assert client.post("/api/predict", data=b"junk", content_type="image/png").status_code == 415
    assert (
        client.post(
            "/api/predict/batch", data={"images": [(io.BytesIO(png), "a.png"), (io.BytesIO(png), "b.png")]}
        ).status_code
        == 200
    )
    text = scrape(client)
    assert value(text, "digitpred_http_requests_total", method="POST", route="/api/predict", status="200") == 4
    assert value(text, "digitpred_http_requests_total", method="POST", route="/api/predict", status="415") == 1
    assert value(text, "digitpred_http_request_duration_seconds_count", method="POST", route="/api/predict") == 5
    assert value(text, "digitpred_predictions_total", mode="digit") == 3 + 2
    assert value(text, "digitpred_predictions_total", mode="number") == 1
    # The fake model reads every digit as 3; a number counts each of its digits.
    assert value(text, "digitpred_digits_read_total", mode="digit", digit="3") == 5
    assert value(text, "digitpred_digits_read_total", mode="number", digit="3") >= 1
    assert value(text, "digitpred_refusals_total", code="invalid_image") == 1
    assert value(text, "digitpred_batch_size_count") == 1 and value(text, "digitpred_batch_size_sum") == 2


def test_a_page_counts_each_digit_of_its_numbers(client):
    png = resource("canvas-7.png")
    assert client.post("/api/predict?mode=lines", data=png, content_type="image/png").status_code == 200
    text = scrape(client)
    assert value(text, "digitpred_predictions_total", mode="lines") == 1
    assert value(text, "digitpred_digits_read_total", mode="lines", digit="3") >= 1  # the fake model reads 3s


def test_unknown_paths_share_one_route_label(client):
    for path in ("/api/a", "/api/b", "/nothing"):
        client.get(path)
    text = scrape(client)
    assert value(text, "digitpred_http_requests_total", method="GET", route="unmatched", status="404") == 3
    assert "/api/a" not in text


def test_model_load_time_and_not_a_digit(real_client):
    png = resource("canvas-7.png")
    real_client.post("/api/predict", data=png, content_type="image/png")
    text = scrape(real_client)
    assert value(text, "digitpred_model_load_seconds_count") == 1
    assert 0 < value(text, "digitpred_model_load_seconds_sum") < 60


def test_corrections_stored_are_counted(db_app):
    client = db_app.test_client()
    png = resource("canvas-7.png")
    assert client.post("/api/corrections?label=7", data=png, content_type="image/png").status_code == 201
    assert client.post("/api/corrections?label=7", data=png, content_type="image/png").status_code == 200  # a repeat
    assert value(scrape(client), "digitpred_corrections_stored_total") == 1


def test_off_by_setting(config):
    assert create_app({**config, "METRICS_ENABLED": False}).test_client().get("/metrics").status_code == 404


def test_token(config):
    client = create_app({**config, "METRICS_TOKEN": "s3cret"}).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_never_rate_limited(config, fake_model):
    app = create_app({**config, "RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "2 per minute"})
    app.extensions["digitpred"]["model"].set(fake_model)
    client = app.test_client()
    assert [client.get("/metrics").status_code for _ in range(5)] == [200] * 5


def test_counts_add_up_across_two_gunicorn_workers(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "FLASK_RATELIMIT_ENABLED": "false",
        "FLASK_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:digitpred.gunicorn_conf", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "2", "digitpred:create_app()"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    png = resource("canvas-7.png")

    def post(_):
        request = urllib.request.Request(url + "/api/predict", data=png, headers={"Content-Type": "image/png"})
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status

    try:
        wait_for_health(url, proc)
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(post, range(60))) == {200}
        # Both workers answered and wrote their own counts...
        pids = {p.stem.rsplit("_", 1)[-1] for p in folder.glob("counter_*.db")}
        assert len(pids) == 2, os.listdir(folder)
        # ...and whichever worker answers a scrape adds up both.
        for _ in range(4):
            with urllib.request.urlopen(url + "/metrics") as r:
                text = r.read().decode()
            assert value(text, "digitpred_http_requests_total", method="POST", route="/api/predict", status="200") == 60
            assert value(text, "digitpred_predictions_total", mode="digit") == 60
            # One model load per worker that predicted: either may have answered all 60 (the other only /health).
            predicted = [pid for pid in pids if worker_value(folder, pid, "digitpred_predictions_total", mode="digit")]
            assert value(text, "digitpred_model_load_seconds_count") == len(predicted) >= 1
            for pid in predicted:
                assert worker_value(folder, pid, "digitpred_model_load_seconds_count") == 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize("name", ["WEB_CONCURRENCY", "DIGITPRED_WORKERS"])
def test_workers_follow_the_setting_else_the_usable_cpus(name):
    code = "import digitpred.gunicorn_conf as c; print(c.workers, c.usable_cpus())"
    env = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "DIGITPRED_WORKERS")}
    out = subprocess.run([sys.executable, "-c", code], env={**env, name: "3"}, capture_output=True, text=True)
    assert out.stdout.split()[0] == "3"
    # Pinned to one CPU, it runs one worker, whatever the host has.
    pinned = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert pinned.stdout.split() == ["1", "1"]
