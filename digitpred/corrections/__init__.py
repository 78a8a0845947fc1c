"""Corrections people send: kept in a SQL database, reviewed by an operator, exported for training.

Nothing here imports SQLAlchemy: the store is set up on the app by the first request or command that uses it.
"""

from __future__ import annotations

import os

from flask import Flask

from digitpred.errors import error_response, wants_json
from digitpred.extensions import StoreUnavailable, db, migrate

STATUSES = ("kept", "discarded")


def postgres_url(url: str) -> str:
    """A PostgreSQL URL that names no driver goes to psycopg, the one we install (SQLAlchemy's default is psycopg2)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url(app: Flask) -> str:
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + os.path.join(app.instance_path, "digitpred.sqlite")
    return postgres_url(url)


def storage_unavailable():
    if not wants_json():
        return "The database is not available; please try again later.", 503
    return error_response("storage_unavailable", "The corrections database is not available; try again later.", 503)


def init_app(app: Flask) -> None:
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)
    # Connections dropped by the server (a restart, an idle timeout) are noticed before use, not by a request.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    db.init_app(app)
    migrate.init_app(app)

    @app.errorhandler(StoreUnavailable)
    def _store_unavailable(exc: StoreUnavailable):
        app.logger.error("%s", exc)
        return storage_unavailable()

    @app.shell_context_processor
    def _shell_names() -> dict:
        """`flask shell` starts with db and the models, as Flask-SQLAlchemy gives them."""
        from flask_sqlalchemy.cli import add_models_to_shell

        db.setup(app)
        return add_models_to_shell()
