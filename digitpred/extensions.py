"""Module-level extension instances; the factory calls init_app on each."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask, current_app, has_app_context
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf import CSRFProtect

from digitpred.ml.model import Model, ModelHolder, default_model_path, load_model, read_metadata
from digitpred.ml.service import Settings

if TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy

csrf = CSRFProtect()


class StoreUnavailable(Exception):
    """The corrections store could not be set up (a malformed database URL, a missing driver)."""


class LazyStore:
    """The corrections store (Flask-SQLAlchemy, digitpred/feedback), set up on an app by the first request or
    command that needs it: SQLAlchemy costs each server process about 17 MB that predicting never uses.

    `db.session`, `db.engine`, `db.metadata` and the rest are Flask-SQLAlchemy's own, on the current app.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def init_app(self, app: Flask) -> None:
        app.extensions.setdefault("digitpred", {}).update(store=None, store_error=None)

    def setup(self, app: Flask) -> SQLAlchemy:
        """Flask-SQLAlchemy set up on `app`, exactly once however many threads ask at once."""
        state = app.extensions["digitpred"]
        store = state["store"]
        if store is not None:
            return store
        with self._lock:
            if state["store"] is None and state["store_error"] is None:
                from digitpred.corrections.database import set_up

                try:
                    with _late_setup(app):
                        state["store"] = set_up(app)
                except Exception as exc:
                    # Half set up, it cannot be tried again: every later use answers the same.
                    state["store_error"] = f"the corrections store could not be set up: {type(exc).__name__}: {exc}"
                    raise StoreUnavailable(state["store_error"]) from exc
            if state["store"] is None:
                raise StoreUnavailable(state["store_error"])
            return state["store"]

    def __getattr__(self, name: str):
        if has_app_context():
            return getattr(self.setup(current_app._get_current_object()), name)
        from digitpred.corrections.database import db

        return getattr(db, name)


@contextmanager
def _late_setup(app: Flask) -> Iterator[None]:
    """Let Flask-SQLAlchemy register its hooks on an app that has already served requests.

    Flask refuses setup methods after the first request, lest requests already running see half of a change.
    The store's hooks (its session's teardown, the answer to a database error) only concern requests that use
    the store, and those wait on LazyStore's lock until it is all set up; so they may be added late.
    """
    app._check_setup_finished = lambda f_name: None  # shadows Flask's check on this app only, under the lock
    try:
        yield
    finally:
        del app._check_setup_finished


db = LazyStore()


class LazyMigrate:
    """Flask-Migrate, set up only when a `flask db` command or a schema upgrade runs: Alembic costs each server
    process about 12 MB that answering requests never uses."""

    directory = str(Path(__file__).parent / "migrations")

    def init_app(self, app: Flask) -> None:
        app.cli.add_command(_MigrateCommands("db", help="Schema migrations of the corrections database (Alembic)."))

    def setup(self, app: Flask) -> None:
        if "migrate" not in app.extensions:
            from flask_migrate import Migrate

            Migrate(app, db.setup(app), directory=self.directory)

    def upgrade(self, app: Flask) -> None:
        """The schema brought up to date: what `flask db upgrade` does, for tests and scripts."""
        from flask_migrate import upgrade

        self.setup(app)
        with app.app_context():
            upgrade()


class _MigrateCommands(click.Group):
    """Flask-Migrate's `db` commands, imported on first use."""

    def _commands(self, ctx: click.Context) -> click.Group:
        from flask.cli import ScriptInfo
        from flask_migrate.cli import db as commands

        migrate.setup(ctx.ensure_object(ScriptInfo).load_app())
        return commands

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # The group's own options (--directory, --x-arg) and its callback, which records them for the commands.
        commands = self._commands(ctx)
        self.params, self.callback = commands.params, commands.callback
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._commands(ctx).list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._commands(ctx).get_command(ctx, name)


migrate = LazyMigrate()


class RateLimiter(Limiter):
    """Flask-Limiter keyed on the client address. It keeps its settings on the instance, from the first app it
    meets; so each app's limit is read from its own config per request, and an app with RATELIMIT_ENABLED false
    is never hooked up (rather than switching the shared instance off for every app). Its counts live in the
    storage of the app set up last: one app per process, as in production."""

    def init_app(self, app: Flask) -> None:
        if app.config["RATELIMIT_ENABLED"]:
            super().init_app(app)


limiter = RateLimiter(key_func=get_remote_address, default_limits=[lambda: current_app.config["RATELIMIT_DEFAULT"]])


def retry_after() -> int:
    """Seconds until the breached limit's window resets: the Retry-After of a 429."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


class ML:
    """Ties the serving core to an app: a lazy ModelHolder and settings in app.extensions["digitpred"]."""

    def init_app(self, app: Flask) -> None:
        path = app.config["MODEL_PATH"] or default_model_path()
        backend = app.config["MODEL_BACKEND"]
        threads = int(app.config["MODEL_THREADS"])
        holder = ModelHolder(lambda: load_model(path, backend, threads))
        # The same dict as the store's state (LazyStore.init_app): per-app state lives in app.extensions["digitpred"].
        app.extensions.setdefault("digitpred", {}).update(
            model=holder,
            model_path=str(path),
            backend=backend,
            metadata=read_metadata(path),
            settings=Settings(
                max_pixels=int(app.config["MAX_IMAGE_PIXELS"]),
                max_side=int(app.config["MAX_IMAGE_SIDE"]),
                min_side=int(app.config["MIN_IMAGE_SIDE"]),
                max_frames=int(app.config["MAX_FRAMES"]),
                uncertain_below=float(app.config["UNCERTAIN_BELOW"]),
                batch_workers=max(1, int(app.config["BATCH_WORKERS"])),
            ),
        )
        if not Path(path).is_file():
            # The app still starts and answers 503 for predictions; the operator learns why here.
            app.logger.error("no model file at %s: predictions will answer 503 until one is there", path)
        elif app.config["PRELOAD_MODEL"]:
            holder.get()

    @property
    def state(self) -> dict:
        return current_app.extensions["digitpred"]

    @property
    def holder(self) -> ModelHolder:
        return self.state["model"]

    def model(self) -> Model:
        """The loaded model, loading it on first use (raises ModelNotReady if it cannot be)."""
        return self.holder.get()

    @property
    def settings(self) -> Settings:
        return self.state["settings"]

    def file_sha256(self) -> str | None:
        """The served file's digest, computed once: it proves which bytes answer, whatever the metadata says."""
        state = self.state
        if "sha256" not in state:
            try:
                state["sha256"] = hashlib.sha256(Path(state["model_path"]).read_bytes()).hexdigest()
            except OSError:
                return None
        return state["sha256"]


ml = ML()
