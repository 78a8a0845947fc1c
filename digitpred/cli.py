"""The `flask --app digitpred ...` commands: thin wrappers over digitpred.ml."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

DEFAULT_DATA = "../shared/data/mnist"
DEFAULT_OUT = "models"


def register_commands(app: Flask) -> None:
    @app.cli.command("train")
    @click.option("--data", "data_dir", default=DEFAULT_DATA, show_default=True, type=click.Path(file_okay=False),
                  help="Folder with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz].")
    @click.option("--out", "out_dir", default=DEFAULT_OUT, show_default=True, type=click.Path(file_okay=False),
                  help="Where the .keras, .tflite and .json files are written.")
    @click.option("--epochs", default=15, show_default=True, type=click.IntRange(1))
    @click.option("--batch-size", default=128, show_default=True, type=click.IntRange(1))
    @click.option("--seed", default=1, show_default=True, type=int)
    @click.option("--limit", default=None, type=click.IntRange(1), help="Train on the first N digits only.")
    def train_command(data_dir, out_dir, epochs, batch_size, seed, limit):
        """Train the CNN (needs the [train] extra), holding out the last 10,000 digits."""
        try:
            from digitpred.ml.training.train import train
        except ImportError as exc:
            raise click.ClickException(f"training needs TensorFlow: pip install '.[train]' ({exc})") from exc
        meta = train(data_dir, out_dir, epochs=epochs, batch_size=batch_size, seed=seed, limit=limit,
                     log=click.echo)
        click.echo(f"wrote {Path(out_dir) / meta['name']}.{{keras,tflite,json}}; "
                   f"validation accuracy {meta['validation']['accuracy']:.2%}")

    @app.cli.command("export")
    @click.argument("keras_path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--out", "out_path", default=None, type=click.Path(dir_okay=False),
                  help="The .tflite file to write (default: beside the Keras model).")
    def export_command(keras_path, out_path):
        """Convert a Keras model to the LiteRT file that serving runs (needs the [train] extra)."""
        try:
            import keras

            from digitpred.ml.training.export import export_litert
        except ImportError as exc:
            raise click.ClickException(f"exporting needs TensorFlow: pip install '.[train]' ({exc})") from exc
        out = Path(out_path) if out_path else Path(keras_path).with_suffix(".tflite")
        export_litert(keras.saving.load_model(keras_path, compile=False), out)
        click.echo(f"wrote {out}")
