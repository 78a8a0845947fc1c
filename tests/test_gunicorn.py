"""The production server: gunicorn on loopback, two workers, each loading the model after the fork."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.helpers import free_port, resource, wait_for_health


@pytest.fixture
def gunicorn_url():
    pytest.importorskip("gunicorn")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:digitpred.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "digitpred:create_app()",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_predicts_through_gunicorn(gunicorn_url):
    # Preloaded: the model is in place before the first prediction.
    with urllib.request.urlopen(gunicorn_url + "/api/health") as r:
        assert json.load(r) == {"status": "ok", "model_loaded": True}
    for _ in range(4):  # spread over both workers
        request = urllib.request.Request(
            gunicorn_url + "/api/predict", data=resource("canvas-7.png"), headers={"Content-Type": "image/png"}
        )
        with urllib.request.urlopen(request) as r:
            assert json.load(r)["digit"] == 7


def test_errors_through_gunicorn(gunicorn_url):
    request = urllib.request.Request(
        gunicorn_url + "/api/predict", data=b"not an image", headers={"Content-Type": "image/png"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 415
    assert json.load(caught.value)["error"]["code"] == "invalid_image"
