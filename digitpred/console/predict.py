"""`digitpred predict PATH...`: read image files, folders, glob patterns, PDF pages and standard input, and write
one row per image. Exits 0 when every image was read, 1 when some were refused or could not be read, 2 on a
usage error (click's)."""

from __future__ import annotations

import sys
import time

import click

from digitpred.console.rows import FORMATS
from digitpred.ml.service import MODES, Settings


@click.command("predict")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--mode", type=click.Choice(MODES), default="digit", show_default=True, help="A digit, a number, or a page's lines."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8", lazy=False), default="-", help="Write here.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True, help="Worker processes.")
@click.option("--scheduler", metavar="ADDRESS", help="Read on this Dask cluster (tcp://HOST:8786) instead.")
@click.option("--pdf-dpi", type=click.IntRange(50, 600), default=150, show_default=True, help="PDF page resolution.")
@click.option(
    "--uncertain-below",
    type=click.FloatRange(0, 1),
    default=Settings.uncertain_below,
    show_default=True,
    help="Flag answers less sure than this.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def predict_command(paths, mode, fmt, output, jobs, scheduler, pdf_dpi, uncertain_below, quiet):
    """Read the digit (or the number, or a page's lines) in each image; folders are searched recursively, PDFs
    read page by page."""
    from tqdm import tqdm

    from digitpred.console import run
    from digitpred.console.rows import Writer
    from digitpred.console.sources import expand

    if scheduler and jobs > 1:
        raise click.UsageError("--jobs is for this machine; a Dask cluster has its own workers.")
    sources = expand(paths, sys.stdin.buffer)
    settings = Settings(uncertain_below=uncertain_below)
    writer = Writer(output, fmt, name_width=max((len(s.name) for s in sources), default=4))
    writer.header()
    if scheduler:
        results = run.cluster(sources, mode, settings, scheduler, pdf_dpi)
    elif jobs > 1:
        results = run.processes(sources, mode, settings, jobs, pdf_dpi)
    else:
        results = run.here(sources, mode, settings, pdf_dpi)
    counts = {"read": 0, "refused": 0, "failed": 0}
    started = time.perf_counter()
    bar = tqdm(total=len(sources), unit="file", file=sys.stderr, disable=quiet or not sys.stderr.isatty())
    try:
        for rows in results:
            for r in rows:
                writer.write(r)
                counts[r["status"]] += 1
            bar.update(1)
    except OSError as e:  # the cluster went away, or the output's reader did (a closed pipe)
        raise click.ClickException(str(e)) from e
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    images = sum(counts.values())
    if not quiet:
        click.echo(
            f"{len(sources)} files, {images} images: {counts['read']} read, {counts['refused']} refused, "
            f"{counts['failed']} failed in {seconds:.1f} s ({images / max(seconds, 1e-9):.1f} images/s)",
            err=True,
        )
    sys.exit(0 if counts["read"] == images else 1)
