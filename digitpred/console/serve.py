"""`digitpred serve`: the production server, gunicorn with the shipped settings (digitpred/gunicorn_conf.py),
after bringing the corrections database up to date, so that `pip install digitpred && digitpred serve` is a
working deployment."""

from __future__ import annotations

import os
import sys

import click


@click.command("serve")
@click.option("--bind", "-b", default=None, help="ADDRESS:PORT (default: $DIGITPRED_BIND or 127.0.0.1:8000).")
@click.option("--workers", "-w", type=click.IntRange(1, 256), help="Worker processes (default: one per core).")
@click.option(
    "--migrate/--no-migrate",
    default=True,
    show_default=True,
    help="Upgrade the corrections database first; with several hosts, let one do it (or run flask db upgrade).",
)
def serve_command(bind, workers, migrate):
    """Start the production server."""
    if migrate:
        from digitpred import create_app
        from digitpred.extensions import migrate as migrations

        migrations.upgrade(create_app())
    args = [sys.executable, "-m", "gunicorn", "-c", "python:digitpred.gunicorn_conf"]
    if bind:
        args += ["--bind", bind]
    if workers:
        args += ["--workers", str(workers)]
    os.execv(sys.executable, [*args, "digitpred:create_app()"])
