"""The corrections commands: flask prune-feedback and flask export-feedback."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("prune-feedback")
@with_appcontext
@click.option("--days", type=click.IntRange(0), default=None, help="Default: FEEDBACK_RETENTION_DAYS.")
def prune_command(days):
    """Delete corrections older than the retention period."""
    from digitpred.corrections.store import prune

    days = current_app.config["FEEDBACK_RETENTION_DAYS"] if days is None else days
    if days is None:
        click.echo("FEEDBACK_RETENTION_DAYS is not set: nothing deleted")
        return
    click.echo(f"deleted {prune(int(days))} corrections older than {days} days")


@click.command("export-feedback")
@with_appcontext
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--folder", is_flag=True, help="Also write each digit as a PNG in DIR/<digit>/.")
def export_feedback_command(out_dir, folder):
    """Write the kept corrections as IDX training files (what `flask train --extra DIR` reads)."""
    from digitpred.corrections.store import training_samples
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
