"""The `flask --app digitpred ...` commands: thin wrappers over digitpred.ml."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

DEFAULT_DATA = "../shared/data/mnist"
DEFAULT_OUT = "models"


def _rendered_option(name: str, how: str):
    return click.option(
        name,
        default=0,
        show_default=True,
        type=click.IntRange(0),
        help=f"Also train on this many training digits {how}, put through the serving pipeline.",
    )


def _validation_size_option(help: str):
    return click.option("--validation-size", default=10_000, show_default=True, type=click.IntRange(1), help=help)


def register_commands(app: Flask) -> None:
    @app.cli.command("train")
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
        help="Also train on every digit in this IDX folder (e.g. from export-feedback); repeatable.",
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
        cache_dir,
        extra,
        extra_weight,
        init,
    ):
        """Train the CNN (needs the [train] extra), holding out the last 10,000 digits."""
        try:
            from digitpred.ml.training.train import train
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
            cache_dir=cache_dir,
            extra=extra,
            extra_weight=extra_weight,
            init=init,
            log=click.echo,
        )
        click.echo(
            f"wrote {Path(out_dir) / meta['name']}.{{keras,tflite,json}}; "
            f"validation accuracy {meta['validation']['accuracy']:.2%}"
        )

    @app.cli.command("export")
    @click.argument("keras_path", type=click.Path(exists=True, dir_okay=False))
    @click.option(
        "--out",
        "out_path",
        default=None,
        type=click.Path(dir_okay=False),
        help="The .tflite file to write (default: beside the Keras model).",
    )
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

    @app.cli.command("evaluate")
    @click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
    @click.option(
        "--report",
        "report_path",
        default="reports/evaluation.html",
        show_default=True,
        type=click.Path(dir_okay=False),
        help="The HTML report to write.",
    )
    @click.option(
        "--json", "json_path", default=None, type=click.Path(dir_okay=False), help="Also write the figures as JSON."
    )
    @click.option("--record", is_flag=True, help="Write the figures into the served model's metadata (its model card).")
    @click.option(
        "--model",
        "model_paths",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False),
        help="Evaluate this model file instead of the served one; give two or more to compare them on the same sets.",
    )
    def evaluate_command(sources, report_path, json_path, record, model_paths):
        """Run labelled images (DIR/<digit>/* or a CSV of path,label) through the API's own path."""
        import hashlib
        import json

        from digitpred import create_app
        from digitpred.ml.evaluate import evaluate, evaluate_numbers, is_number_set, write_html

        if record and len(model_paths) > 1:
            raise click.UsageError("--record writes one model's figures: give at most one --model")

        def run_sets(client) -> tuple[list, list]:
            def predict(data: bytes) -> dict:
                return client.post("/api/predict", data=data, content_type="image/octet-stream").get_json()

            def predict_number(data: bytes) -> dict:
                return client.post("/api/predict?mode=number", data=data, content_type="image/octet-stream").get_json()

            reports, numbers = [], []
            for source in sources:
                if is_number_set(source):
                    figures = evaluate_numbers(source, predict_number)
                    numbers.append(figures)
                    for name, f in figures.items():
                        if isinstance(f, dict):
                            click.echo(
                                f"{figures['set']} [{name}]: {f['whole_number_accuracy']:.2%} of {f['numbers']} "
                                f"numbers read exactly, {f['digit_accuracy']:.2%} of digits, "
                                f"{f['ms_p50']} ms per number (p50)"
                            )
                    continue
                report = evaluate(source, predict)
                reports.append(report)
                s = report.summary()
                click.echo(
                    f"{report.name}: {s['accuracy']:.2%} of {s['images']} images, {s['errors']} error answers, "
                    f"{s['ms_per_image'].get('p50', 0)} ms per image (p50)"
                )
                click.echo("  per digit: " + "  ".join(f"{d} {acc:.1%}" for d, _, acc in report.per_class()))
                flagged = report.flagged()
                if flagged["mistakes"] is not None:
                    click.echo(
                        f"  flagged unsure: {flagged['mistakes']:.0%} of the mistakes, "
                        f"{flagged['right']:.1%} of the right answers"
                    )
            return reports, numbers

        compare = len(model_paths) > 1
        runs = []
        for i, model_path in enumerate(model_paths or [None]):
            # An app of its own: thousands of requests from one "client" are not a flood to rate-limit.
            settings = {**app.config, "RATELIMIT_ENABLED": False}
            if model_path is not None:
                settings["MODEL_PATH"] = str(Path(model_path))
            target = create_app(settings)
            served = Path(target.extensions["digitpred"]["model_path"])
            name = chr(ord("A") + i) if compare else ""
            sha = hashlib.sha256(served.read_bytes()).hexdigest() if served.is_file() else None
            if compare:
                click.echo(f"model {name}: {served} (sha256 {(sha or 'missing')[:12]})")
            reports, numbers = run_sets(target.test_client())
            runs.append({"name": name, "path": served, "sha256": sha, "reports": reports, "numbers": numbers})
            if reports:
                path = Path(report_path)
                path = path.with_name(f"{path.stem}-{name}{path.suffix}") if compare else path
                click.echo(f"report: {write_html(reports, path)}")

        if compare:
            _echo_comparison(runs)
        if json_path:

            def figures(run: dict) -> list:
                return [r.summary() for r in run["reports"]] + run["numbers"]

            out = (
                [{"model": str(r["path"]), "sha256": r["sha256"], "figures": figures(r)} for r in runs]
                if compare
                else figures(runs[0])
            )
            Path(json_path).write_text(json.dumps(out, indent=2) + "\n")
        if record:
            from digitpred.ml.model import metadata_path

            reports, numbers = runs[0]["reports"], runs[0]["numbers"]
            path = metadata_path(runs[0]["path"])
            meta = json.loads(path.read_text()) if path.is_file() else {}
            meta.setdefault("evaluations", {}).update({r.name: r.summary() for r in reports})
            if numbers:
                meta.setdefault("number_evaluations", {}).update({n["set"]: n for n in numbers})
            path.write_text(json.dumps(meta, indent=2) + "\n")
            click.echo(f"recorded in {path}")

    @app.cli.command("make-evalsets")
    @click.option("--data", "data_dir", default=DEFAULT_DATA, show_default=True, type=click.Path(file_okay=False))
    @click.option("--out", "out_dir", default="eval-data", show_default=True, type=click.Path(file_okay=False))
    @click.option(
        "--kind",
        "kinds",
        multiple=True,
        type=click.Choice(["canvas", "photo", "scan", "tiny", "notebook", "numbers"]),
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
        from digitpred.ml.evalsets import KINDS, SEEDS, generate, generate_numbers
        from digitpred.ml.training.data import validation_digits

        images, labels = validation_digits(data_dir)
        images, labels = images[offset:], labels[offset:]
        for kind in kinds or (*KINDS, "numbers"):
            if kind == "numbers":
                # Numbers draw their digits from all 10,000 held-out digits.
                n = generate_numbers(images, labels, Path(out_dir) / kind, count, seed=seed + SEEDS[kind])
                click.echo(f"wrote {n} numbers to {Path(out_dir) / kind}")
                continue
            # Each kind has its own seed, so a set is the same whichever others are made with it.
            n = generate(kind, images[:count], labels[:count], Path(out_dir) / kind, seed=seed + SEEDS[kind])
            click.echo(f"wrote {n} {kind} images to {Path(out_dir) / kind}")

    @app.cli.command("make-shapes")
    @click.option("--data", "data_dir", default=DEFAULT_DATA, show_default=True, type=click.Path(file_okay=False))
    @click.option("--out", "out_path", default=None, type=click.Path(dir_okay=False), help="Default: the shipped file.")
    @_validation_size_option("How many of the last digits are held out, and left out here.")
    def make_shapes_command(data_dir, out_path, validation_size):
        """Write each class's shape space (mean and principal components of the training digits, never the
        held-out ones), which segmentation uses to tell a whole digit from two run together."""
        from digitpred.ml.shapes import SHAPES_PATH, write_shapes
        from digitpred.ml.training.data import load_mnist, split

        (images, labels), _ = split(*load_mnist(data_dir), validation_size=validation_size)
        click.echo(f"wrote {write_shapes(images, labels, out_path or SHAPES_PATH)}")


def _echo_comparison(runs: list[dict]) -> None:
    """Each set's accuracy under every model, side by side, with each model's difference from model A."""
    rows: dict[str, list[float | None]] = {}
    for i, run in enumerate(runs):
        for report in run["reports"]:
            rows.setdefault(report.name, [None] * len(runs))[i] = report.accuracy
        for figures in run["numbers"]:
            for bucket, f in figures.items():
                if isinstance(f, dict):
                    key = f"{figures['set']} [{bucket}], whole numbers"
                    rows.setdefault(key, [None] * len(runs))[i] = f["whole_number_accuracy"]
    width = max(len(k) for k in rows) if rows else 3
    names = [r["name"] for r in runs]
    click.echo("")
    click.echo(
        f"{'set':<{width}}  " + "  ".join(f"{n:>8}" for n in names) + "".join(f"  {n + ' - A':>8}" for n in names[1:])
    )
    for key, values in rows.items():
        cells = "  ".join(f"{v:>8.2%}" if v is not None else f"{'-':>8}" for v in values)
        deltas = "".join(
            f"  {(v - values[0]) * 100:>+6.2f}pp" if v is not None and values[0] is not None else f"  {'-':>8}"
            for v in values[1:]
        )
        click.echo(f"{key:<{width}}  {cells}{deltas}")
