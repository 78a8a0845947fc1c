"""The Flask extensions: one instance of each for the process, set up on an app by create_app, which calls each
one's init_app (cookiecutter-flask style). What an extension keeps for one app lives in app.extensions: ours
under app.extensions["digitpred"].
"""

from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

from digitpred.ml.model import Model, ModelHolder, default_model_path, load_model, read_metadata
from digitpred.ml.service import Settings

csrf = CSRFProtect()

# The corrections database (digitpred/corrections). Constraints are named, so that migrations can drop or change
# them on every database.
db = SQLAlchemy(
    metadata=MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
)


class DeferredMigrate:
    """Flask-Migrate, imported only when a migration runs (`flask db ...`, or upgrade() in tests and scripts):
    Alembic costs each server process about 11 MB that answering requests never uses.

    init_app registers nothing on Flask; the `flask db` command is registered with the app's other commands
    (digitpred/corrections/cli.py), and sets Flask-Migrate up (set_up) before it runs.
    """

    def init_app(self, app: Flask, db: SQLAlchemy, directory: str) -> None:
        app.extensions.setdefault("digitpred", {})["migrate"] = {"db": db, "directory": directory}

    def set_up(self, app: Flask) -> None:
        """`Migrate(app, db, directory=...)` on `app`, once: what a plain Flask-Migrate does at init_app."""
        if "migrate" not in app.extensions:
            from flask_migrate import Migrate

            Migrate(app, **app.extensions["digitpred"]["migrate"])

    def upgrade(self, app: Flask) -> None:
        """The schema brought up to date, as `flask db upgrade` does."""
        from flask_migrate import upgrade

        self.set_up(app)
        with app.app_context():
            upgrade()


migrate = DeferredMigrate()


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
                not_a_digit_above=float(app.config["NOT_A_DIGIT_ABOVE"]),
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
