"""The corrections commands: flask prune-corrections, flask export-corrections (each also under its first name,
prune-feedback and export-feedback), and flask db, the schema's migrations."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from digitpred.corrections.database import prune, training_samples
from digitpred.extensions import migrate


@click.command("prune-corrections")
@with_appcontext
@click.option("--days", type=click.IntRange(0), default=None, help="Default: CORRECTIONS_RETENTION_DAYS.")
def prune_corrections_command(days):
    """Delete corrections older than the retention period."""
    days = current_app.config["CORRECTIONS_RETENTION_DAYS"] if days is None else days
    if days is None:
        click.echo("CORRECTIONS_RETENTION_DAYS is not set: nothing deleted")
        return
    click.echo(f"deleted {prune(int(days))} corrections older than {days} days")


@click.command("export-corrections")
@with_appcontext
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--folder", is_flag=True, help="Also write each digit as a PNG in DIR/<digit>/.")
def export_corrections_command(out_dir, folder):
    """Write the kept corrections as IDX training files (what `flask train --extra DIR` reads)."""
    from digitpred.mnist import IMAGES, LABELS, write_idx

    images, labels, skipped = training_samples()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_idx(out / f"{IMAGES}.gz", images)
    write_idx(out / f"{LABELS}.gz", labels)
    if folder:
        from PIL import Image

        for i, (image, label) in enumerate(zip(images, labels, strict=True)):
            (out / str(label)).mkdir(exist_ok=True)
            Image.fromarray(image).save(out / str(label) / f"{i:06d}.png")
    click.echo(f"wrote {len(images)} digits to {out}")
    for reason, count in skipped.items():
        click.echo(f"skipped {count} corrections: {reason}")


def old_name(command: click.Command, name: str) -> click.Command:
    """`command` under the name it had before corrections had one name; left out of `flask --help`."""
    return click.Command(name, callback=command.callback, params=command.params, help=command.help, hidden=True)


prune_feedback_command = old_name(prune_corrections_command, "prune-feedback")
export_feedback_command = old_name(export_corrections_command, "export-feedback")


@click.command(
    "db",
    add_help_option=False,  # `flask db --help` is Flask-Migrate's
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.pass_context
def db_command(ctx: click.Context):
    """Migrations of the corrections database's schema (Flask-Migrate): flask db upgrade, flask db --help."""
    from flask_migrate.cli import db as flask_migrate_commands  # Alembic, only when a migration runs

    migrate.set_up(ctx.ensure_object(ScriptInfo).load_app())
    with flask_migrate_commands.make_context(ctx.info_name, ctx.args, parent=ctx.parent) as migrate_ctx:
        return flask_migrate_commands.invoke(migrate_ctx)
