"""Corrections: the true answers people send for an image (POST /api/corrections, the page's buttons), kept in a
SQL database, looked through on the review page, exported for training.

    tables.py    the corrections table (Flask-SQLAlchemy's db, from digitpred/extensions.py)
    database.py  writing and reading corrections: record, listing, prune, the confusion counts, the export
    submit.py    one correction from a request's fields: the truth read, the image read again, the row recorded
    cli.py       flask prune-corrections, flask export-corrections, and flask db (the schema's migrations)

The schema's migrations are in digitpred/migrations (Alembic, through Flask-Migrate).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from digitpred.config import DEFAULTS
from digitpred.corrections import tables  # noqa: F401  (the table on db.metadata, for migrations and `flask shell`)
from digitpred.errors import error_response, wants_json
from digitpred.extensions import db, migrate

STATUSES = ("kept", "discarded")
MIGRATIONS = Path(__file__).parent.parent / "migrations"
# The settings' old names, from before corrections had one name: read when the new one is left at its default.
OLD_NAMES = {
    "CORRECTIONS_MAX_ORIGINAL_BYTES": "FEEDBACK_MAX_ORIGINAL_BYTES",
    "CORRECTIONS_RETENTION_DAYS": "FEEDBACK_RETENTION_DAYS",
}


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
    """The corrections database on `app`: Flask-SQLAlchemy (its engine connects on first use), Flask-Migrate (imported
    when a migration runs) and the answer to a database error. The commands are added with the app's others."""
    for new, old in OLD_NAMES.items():
        if old in app.config and app.config[new] == DEFAULTS[new]:
            app.config[new] = app.config[old]
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)
    # Connections dropped by the server (a restart, an idle timeout) are noticed before use, not by a request.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    app.register_error_handler(SQLAlchemyError, _database_error)


def database_unavailable():
    if not wants_json():
        return "The database is not available; please try again later.", 503
    return error_response("storage_unavailable", "The corrections database is not available; try again later.", 503)


def _database_error(exc: SQLAlchemyError):
    # A locked, full or unreachable database: nothing was stored, and the client may try again later.
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass  # the connection is gone; the pool replaces it
    current_app.logger.error("database error (has `flask --app digitpred db upgrade` been run?): %s", exc)
    return database_unavailable()
