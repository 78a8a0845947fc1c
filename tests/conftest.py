"""The tests' fixtures: the app (with a fake model, or the committed one), its test clients and CLI runner, and the
databases. Helpers that tests import live in tests/helpers.py."""

from __future__ import annotations

import numpy as np
import pytest

from digitpred import create_app
from digitpred.mnist import read_idx
from tests.helpers import RESOURCES, FakeModel, free_port, instance_files

INSTANCE_BEFORE = instance_files()  # taken on import, before any test module builds an app


@pytest.fixture(scope="session", autouse=True)
def instance_folder_untouched():
    """The instance folder holds the developer's own database and config: tests keep theirs in tmp_path."""
    yield
    assert instance_files() == INSTANCE_BEFORE, "a test wrote into the instance folder: give it a tmp_path database"


@pytest.fixture
def config() -> dict:
    return {"TESTING": True, "SECRET_KEY": "test-secret", "RATELIMIT_ENABLED": False}


@pytest.fixture
def real_app(config):
    """The app with the committed model, loaded lazily as in production."""
    return create_app(config)


@pytest.fixture
def fake_model() -> FakeModel:
    return FakeModel()


@pytest.fixture
def app(config, fake_model):
    """The app with the fake model in place."""
    app = create_app(config)
    app.extensions["digitpred"]["model"].set(fake_model)
    return app


@pytest.fixture
def client(app):
    """A test client of `app`, kept open for the test as pytest-flask's was, so the last request's context stays."""
    with app.test_client() as client:
        yield client


@pytest.fixture
def runner(app):
    """Runs the app's flask commands."""
    return app.test_cli_runner()


@pytest.fixture
def faked_client(config, fake_model):
    """A client of an app with some settings changed and the fake model in place."""

    def make(**settings):
        app = create_app({**config, **settings})
        app.extensions["digitpred"]["model"].set(fake_model)
        return app.test_client()

    return make


@pytest.fixture
def real_client(real_app):
    return real_app.test_client()


@pytest.fixture(scope="session")
def heldout() -> tuple[np.ndarray, np.ndarray]:
    """200 held-out MNIST digits (never trained on) shipped with the tests."""
    return (
        read_idx(RESOURCES / "heldout-images-idx3-ubyte.gz"),
        read_idx(RESOURCES / "heldout-labels-idx1-ubyte.gz").astype(int),
    )


# ---------- databases: every test that takes `db_url` runs against SQLite and against PostgreSQL ----------

POSTGRES_ENV = "DIGITPRED_TEST_POSTGRES_URL"


@pytest.fixture
def postgres_url() -> str:
    """A fresh, empty database on the PostgreSQL server that .ci/run starts (skipped without one, but in CI)."""
    import os
    import uuid

    admin = os.environ.get(POSTGRES_ENV)
    if not admin:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_ENV} is not set: CI must run the database tests against PostgreSQL")
        pytest.skip(f"no PostgreSQL: set {POSTGRES_ENV} (.ci/postgres start DIR prints one)")
    import psycopg

    from digitpred.corrections import postgres_url

    name = f"digitpred_test_{uuid.uuid4().hex[:12]}"
    admin_url = postgres_url(admin).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_url(admin.rsplit("/", 1)[0] + "/" + name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def model():
    """The shipped model itself (reader and gate), loaded once per test module."""
    from digitpred.ml.model import default_model_path, load_model

    return load_model(default_model_path())


@pytest.fixture(scope="module")
def clear_digits(heldout, model):
    """One held-out digit per class that the model reads surely when drawn alone."""
    from digitpred.ml.segment import segment
    from digitpred.synth.render import Stroke, draw

    images, labels = heldout
    chosen = {}
    for digit, label in zip(images, labels, strict=True):
        if label in chosen:
            continue
        field = segment(draw(digit, Stroke(180, (140, 140), 16)))[0].field
        if model(field[None, ..., None])[0, label] > 0.99:
            chosen[label] = digit
    assert len(chosen) == 10
    return chosen


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> str:
    """An empty database: a SQLite file, or a fresh database on the PostgreSQL server that .ci/run starts."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedback.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> str:
    """A throwaway Redis server on loopback, from Debian's redis-server (skipped without it, but in CI)."""
    import os
    import shutil
    import subprocess
    import time

    import redis

    binary = shutil.which("redis-server")
    if not binary:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: CI must run the shared rate-limit tests against Redis")
        pytest.skip("no redis-server (apt-get install redis-server)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server) -> str:
    """The Redis server, emptied: no test sees another's counts."""
    import redis

    redis.Redis.from_url(redis_server).flushdb()
    return redis_server


@pytest.fixture
def db_app(config, fake_model, db_url):
    """The app on a migrated, empty corrections database, with the fake model."""
    from digitpred.extensions import db, migrate

    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": db_url})
    app.extensions["digitpred"]["model"].set(fake_model)
    migrate.upgrade(app)
    yield app
    with app.app_context():
        db.engine.dispose()
