"""The training commands: flask train, export and make-shapes. TensorFlow is imported only when one runs."""

from __future__ import annotations

from pathlib import Path

import click

from digitpred.mnist import DEFAULT_DATA, VALIDATION_SIZE

DEFAULT_OUT = "models"


def _rendered_option(name: str, how: str, what: str = "training digits"):
    return click.option(
        name,
        default=0,
        show_default=True,
        type=click.IntRange(0),
        help=f"Also train on this many {what} {how}, put through the serving pipeline.",
    )


def _validation_size_option(help: str):
    return click.option(
        "--validation-size", default=VALIDATION_SIZE, show_default=True, type=click.IntRange(1), help=help
    )


@click.command("train")
@click.option(
    "--data",
    "data_dir",
    default=DEFAULT_DATA,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz].",
)
@click.option(
    "--out",
    "out_dir",
    default=DEFAULT_OUT,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the .keras, .tflite and .json files are written.",
)
@click.option("--epochs", default=15, show_default=True, type=click.IntRange(1))
@click.option("--batch-size", default=128, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--limit", default=None, type=click.IntRange(1), help="Train on the first N digits only.")
@_validation_size_option("How many of the last digits are held out.")
@_rendered_option("--rendered", "redrawn as canvas strokes")
@_rendered_option("--rendered-scan", "made into low-resolution scans")
@_rendered_option("--rendered-photo", "made into phone photos of paper")
@_rendered_option("--rendered-tiny", "scanned at a few cells a side and enlarged")
@_rendered_option("--rendered-broken", "redrawn as canvas strokes with pen lifts (broken strokes)")
@_rendered_option("--rendered-styles", "drawn in other hands (flagged 1s, crossed 7s, open 4s, one-stroke 5s)")
@_rendered_option(
    "--rendered-negatives", "(letters, symbols, doodles, pairs of digits)", what="things that are not digits"
)
@click.option(
    "--cache",
    "cache_dir",
    default=".cache",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the redrawn digits are cached between runs.",
)
@click.option(
    "--extra",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Also train on every digit in this IDX folder (e.g. from export-corrections); repeatable.",
)
@click.option(
    "--extra-weight",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="How much each extra digit counts in the loss, against 1 for a training digit.",
)
@click.option(
    "--init",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="Fine-tune this .keras model (e.g. the shipped one) instead of training from scratch.",
)
@click.option(
    "--name",
    default="digitpred-cnn",
    show_default=True,
    type=click.Choice(["digitpred-cnn", "digitpred-gate"]),
    help="The files' name: the reader, or the gate that refuses what is not a digit (served beside the reader).",
)
@click.option(
    "--width",
    default=32,
    show_default=True,
    type=click.IntRange(8, 128),
    help="Filters of the first block (the next have twice and four times as many); --init keeps its model's.",
)
def train_command(
    data_dir,
    out_dir,
    epochs,
    batch_size,
    seed,
    limit,
    validation_size,
    rendered,
    rendered_scan,
    rendered_photo,
    rendered_tiny,
    rendered_broken,
    rendered_styles,
    rendered_negatives,
    cache_dir,
    extra,
    extra_weight,
    init,
    name,
    width,
):
    """Train the CNN (needs the [train] extra), holding out the last 10,000 digits."""
    try:
        from digitpred.training.train import train
    except ImportError as exc:
        raise click.ClickException(f"training needs TensorFlow: pip install '.[train]' ({exc})") from exc
    meta = train(
        data_dir,
        out_dir,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        limit=limit,
        validation_size=validation_size,
        rendered=rendered,
        rendered_scan=rendered_scan,
        rendered_photo=rendered_photo,
        rendered_tiny=rendered_tiny,
        rendered_broken=rendered_broken,
        rendered_styles=rendered_styles,
        rendered_negatives=rendered_negatives,
        cache_dir=cache_dir,
        extra=extra,
        extra_weight=extra_weight,
        init=init,
        name=name,
        width=width,
        log=click.echo,
    )
    click.echo(
        f"wrote {Path(out_dir) / meta['name']}.{{keras,tflite,json}}; "
        f"validation accuracy {meta['validation']['accuracy']:.2%}"
    )


@click.command("export")
@click.argument("keras_path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    "out_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="The .tflite file to write (default: beside the Keras model).",
)
@click.option(
    "--float", "full_float", is_flag=True, help="Keep float32 weights (default: int8 weights, about 4x faster)."
)
def export_command(keras_path, out_path, full_float):
    """Convert a Keras model to the LiteRT file that serving runs (needs the [train] extra)."""
    try:
        import keras

        from digitpred.training.export import export_litert
    except ImportError as exc:
        raise click.ClickException(f"exporting needs TensorFlow: pip install '.[train]' ({exc})") from exc
    out = Path(out_path) if out_path else Path(keras_path).with_suffix(".tflite")
    export_litert(keras.saving.load_model(keras_path, compile=False), out, quantize=not full_float)
    click.echo(f"wrote {out}")


@click.command("make-shapes")
@click.option("--data", "data_dir", default=DEFAULT_DATA, show_default=True, type=click.Path(file_okay=False))
@click.option("--out", "out_path", default=None, type=click.Path(dir_okay=False), help="Default: the shipped file.")
@_validation_size_option("How many of the last digits are held out, and left out here.")
def make_shapes_command(data_dir, out_path, validation_size):
    """Write each class's shape space (mean and principal components of the training digits, never the
    held-out ones), which segmentation uses to tell a whole digit from two run together."""
    from digitpred.ml.shapes import SHAPES_PATH, write_shapes
    from digitpred.mnist import load_mnist, split

    (images, labels), _ = split(*load_mnist(data_dir), validation_size=validation_size)
    click.echo(f"wrote {write_shapes(images, labels, out_path or SHAPES_PATH)}")
