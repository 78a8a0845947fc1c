"""Flask-Migrate for the corrections database's migrations (digitpred/migrations), imported only when one runs.
Its instance is `migrate` (digitpred/extensions.py)."""

from __future__ import annotations

from flask import Flask
from flask_sqlalchemy import SQLAlchemy


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
