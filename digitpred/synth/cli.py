"""The synthesis command: flask make-evalsets writes realistic evaluation sets from held-out digits."""

from __future__ import annotations

from pathlib import Path

import click

from digitpred.mnist import DEFAULT_DATA


@click.command("make-evalsets")
@click.option("--data", "data_dir", default=DEFAULT_DATA, show_default=True, type=click.Path(file_okay=False))
@click.option("--out", "out_dir", default="eval-data", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(
        ["canvas", "photo", "scan", "tiny", "notebook", "styles", "nondigits", "numbers", "decimals", "pages"]
    ),
    help="Which sets (default: all).",
)
@click.option(
    "--count",
    default=2000,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Images per set, from the held-out digits.",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--offset",
    default=0,
    show_default=True,
    type=click.IntRange(0, 9999),
    help="Start this far into the held-out digits: a tuning set from other digits than the evaluation sets.",
)
def make_evalsets_command(data_dir, out_dir, kinds, count, seed, offset):
    """Write realistic evaluation sets made from held-out digits only (never trained on)."""
    from digitpred.mnist import validation_digits
    from digitpred.synth.evalsets import KINDS, SEEDS, generate, generate_numbers, generate_pages

    images, labels = validation_digits(data_dir)
    images, labels = images[offset:], labels[offset:]
    for kind in kinds or (*KINDS, "numbers", "decimals", "pages"):
        if kind == "pages":
            n = generate_pages(images, labels, Path(out_dir) / kind, count, seed=seed + SEEDS[kind])
            click.echo(f"wrote {n} pages to {Path(out_dir) / kind}")
            continue
        if kind in ("numbers", "decimals"):
            # Numbers draw their digits from all 10,000 held-out digits; decimals have signs and points.
            n = generate_numbers(
                images, labels, Path(out_dir) / kind, count, seed=seed + SEEDS[kind], signs=kind == "decimals"
            )
            click.echo(f"wrote {n} numbers to {Path(out_dir) / kind}")
            continue
        # Each kind has its own seed, so a set is the same whichever others are made with it.
        n = generate(kind, images[:count], labels[:count], Path(out_dir) / kind, seed=seed + SEEDS[kind])
        click.echo(f"wrote {n} {kind} images to {Path(out_dir) / kind}")
