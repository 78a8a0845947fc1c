"""Corrections people send: kept in a SQL database, reviewed by an operator, exported for training."""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from digitpred.errors import error_response, wants_json
from digitpred.extensions import db, migrate


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


def init_app(app: Flask) -> None:
    from digitpred.feedback import models  # noqa: F401  (the tables, for db and for migrations)
    from digitpred.feedback.cli import register_commands

    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)
    # Connections dropped by the server (a restart, an idle timeout) are noticed before use, not by a request.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    db.init_app(app)
    migrate.init_app(app)
    register_commands(app)

    @app.errorhandler(SQLAlchemyError)
    def _storage_error(exc: SQLAlchemyError):
        # A locked, full or unreachable database: nothing was stored, and the client may try again later.
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass  # the connection is gone; the pool replaces it
        app.logger.error("database error (has `flask --app digitpred db upgrade` been run?): %s", exc)
        if not wants_json():
            return "The database is not available; please try again later.", 503
        return error_response("storage_unavailable", "The corrections database is not available; try again later.", 503)
