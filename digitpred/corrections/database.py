"""The corrections store's SQLAlchemy side. Imported only when a request or command first needs the store
(see LazyStore in digitpred/extensions.py): a process that only predicts never loads SQLAlchemy."""

from __future__ import annotations

from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints, so that Alembic migrations can drop or change them on every database.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# The shell's names are given by digitpred.corrections (its shell hook is registered when the app is created).
db = SQLAlchemy(model_class=Base, add_models_to_shell=False)


def set_up(app: Flask) -> SQLAlchemy:
    """The store hooked up to `app`: its tables, sessions and engine, and the answer to a database error."""
    from digitpred.corrections import models  # noqa: F401  (the tables, for the session and for migrations)

    app.register_error_handler(SQLAlchemyError, _storage_error)
    db.init_app(app)
    return db


def _storage_error(exc: SQLAlchemyError):
    # A locked, full or unreachable database: nothing was stored, and the client may try again later.
    from digitpred.corrections import storage_unavailable

    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass  # the connection is gone; the pool replaces it
    current_app.logger.error("database error (has `flask --app digitpred db upgrade` been run?): %s", exc)
    return storage_unavailable()
