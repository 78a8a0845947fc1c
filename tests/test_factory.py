from __future__ import annotations

import logging

import pytest
from flask import Flask

from digitpred import create_app
from digitpred.config import DEV_SECRET_KEY
from tests.helpers import RESOURCES


def test_defaults():
    app = create_app({"TESTING": True})
    assert app.config["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024
    assert app.config["MODEL_PATH"] is None
    assert app.config["MODEL_BACKEND"] == "litert"
    assert app.extensions["digitpred"]["model_path"].endswith("digitpred-cnn.tflite")


def test_test_config_overrides_defaults():
    app = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 1234})
    assert app.testing
    assert app.config["MAX_CONTENT_LENGTH"] == 1234


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path))
    return tmp_path


def test_instance_config_then_environment(instance, monkeypatch):
    (instance / "config.py").write_text("MAX_CONTENT_LENGTH = 2048\nUNCERTAIN_BELOW = 0.3\nSECRET_KEY = 'from-file'\n")
    monkeypatch.setenv("FLASK_MAX_CONTENT_LENGTH", "4096")
    app = create_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 4096  # environment beats the instance file
    assert app.config["UNCERTAIN_BELOW"] == 0.3  # the instance file beats the defaults
    assert app.config["SECRET_KEY"] == "from-file"


def test_test_config_ignores_instance_and_environment(instance, monkeypatch):
    (instance / "config.py").write_text("MAX_CONTENT_LENGTH = 2048\n")
    monkeypatch.setenv("FLASK_MAX_CONTENT_LENGTH", "4096")
    app = create_app({"TESTING": True})
    assert app.config["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024


def test_development_secret_key_warns(instance, caplog):
    with caplog.at_level(logging.WARNING):
        app = create_app()
    assert app.config["SECRET_KEY"] == DEV_SECRET_KEY
    assert any("SECRET_KEY" in r.getMessage() for r in caplog.records)


def test_real_secret_key_does_not_warn(instance, monkeypatch, caplog):
    monkeypatch.setenv("FLASK_SECRET_KEY", "a-real-secret")
    with caplog.at_level(logging.WARNING):
        create_app()
    assert not any("SECRET_KEY" in r.getMessage() for r in caplog.records)


def test_model_not_loaded_at_creation():
    app = create_app({"TESTING": True})
    assert not app.extensions["digitpred"]["model"].ready


def test_preload_model():
    app = create_app({"TESTING": True, "PRELOAD_MODEL": True})
    assert app.extensions["digitpred"]["model"].ready


def test_serving_does_not_load_alembic():
    """Schema migrations are a command-line job: a server process never pays Alembic's memory."""
    import subprocess
    import sys

    code = "import sys, digitpred; digitpred.create_app({'TESTING': True}); print('alembic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_worker_loads_alembic_only_when_a_migration_runs(tmp_path):
    """Predictions, the page, the health check, the review page and corrections never import Alembic (about
    11 MB a worker); `flask db upgrade` (here migrate.upgrade) does."""
    import subprocess
    import sys

    code = f"""
import sys, digitpred
from digitpred.extensions import migrate
app = digitpred.create_app({{'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path / "c.sqlite"}'}})
client = app.test_client()
png = open({str(RESOURCES / "canvas-7.png")!r}, 'rb').read()
answers = [client.post('/api/predict', data=png, content_type='image/png').status_code,
           client.post('/api/predict/batch', data={{'images': [(__import__('io').BytesIO(png), '7.png')]}}).status_code,
           client.get('/').status_code, client.get('/api/health').status_code, client.get('/review/').status_code,
           # no tables yet (no `flask db upgrade`): the database answers that it cannot store
           client.post('/api/corrections?label=7', data=png, content_type='image/png').status_code]
print(answers, 'alembic' in sys.modules)
migrate.upgrade(app)
print(client.post('/api/corrections?label=7', data=png, content_type='image/png').status_code, 'alembic' in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[200, 200, 200, 200, 404, 503] False", "201 True"]
