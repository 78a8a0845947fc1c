"""The evaluation command: flask evaluate runs labelled sets through the API's own path."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("evaluate")
@with_appcontext
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
    from digitpred.evaluation.report import (
        evaluate,
        evaluate_lines,
        evaluate_numbers,
        is_lines_set,
        is_number_set,
        write_html,
    )

    if record and len(model_paths) > 1:
        raise click.UsageError("--record writes one model's figures: give at most one --model")

    def run_sets(client) -> tuple[list, list]:
        def predict(data: bytes) -> dict:
            return client.post("/api/predict", data=data, content_type="image/octet-stream").get_json()

        def predict_number(data: bytes) -> dict:
            return client.post("/api/predict?mode=number", data=data, content_type="image/octet-stream").get_json()

        def predict_lines(data: bytes) -> dict:
            return client.post("/api/predict?mode=lines", data=data, content_type="image/octet-stream").get_json()

        reports, numbers = [], []
        for source in sources:
            if is_lines_set(source) or is_number_set(source):
                pages = is_lines_set(source)
                figures = evaluate_lines(source, predict_lines) if pages else evaluate_numbers(source, predict_number)
                numbers.append(figures)
                for name, f in figures.items():
                    if isinstance(f, dict) and pages:
                        click.echo(
                            f"{figures['set']} [{name}]: {f['whole_page_accuracy']:.2%} of {f['pages']} pages and "
                            f"{f['line_accuracy']:.2%} of their lines read exactly, {f['ms_p50']} ms per page (p50)"
                        )
                    elif isinstance(f, dict):
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
                f"{report.name}: {s['accuracy']:.2%} of {s['images']} images right, {s['refused']:.2%} refused as "
                f"no digit, {s['errors']} other error answers, {s['ms_per_image'].get('p50', 0)} ms per image (p50)"
            )
            click.echo(
                "  per class: "
                + "  ".join(f"{d if d < 10 else 'not a digit'} {acc:.1%}" for d, n, acc in report.per_class() if n)
            )
            flagged = report.flagged()
            if flagged["mistakes"] is not None and flagged["right"] is not None:
                click.echo(
                    f"  flagged unsure: {flagged['mistakes']:.0%} of the mistakes, "
                    f"{flagged['right']:.1%} of the right answers"
                )
        return reports, numbers

    compare = len(model_paths) > 1
    runs = []
    for i, model_path in enumerate(model_paths or [None]):
        # An app of its own: thousands of requests from one "client" are not a flood to rate-limit, nor lines
        # for the access log.
        settings = {**current_app.config, "RATELIMIT_ENABLED": False, "ACCESS_LOG": False, "METRICS_ENABLED": False}
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


def _echo_comparison(runs: list[dict]) -> None:
    """Each set's accuracy under every model, side by side, with each model's difference from model A."""
    rows: dict[str, list[float | None]] = {}
    for i, run in enumerate(runs):
        for report in run["reports"]:
            rows.setdefault(report.name, [None] * len(runs))[i] = report.accuracy
            rows.setdefault(f"{report.name}, refused as no digit", [None] * len(runs))[i] = report.refused
        for figures in run["numbers"]:
            for bucket, f in figures.items():
                if isinstance(f, dict) and "whole_page_accuracy" in f:
                    key = f"{figures['set']} [{bucket}], whole pages"
                    rows.setdefault(key, [None] * len(runs))[i] = f["whole_page_accuracy"]
                    rows.setdefault(f"{figures['set']} [{bucket}], lines", [None] * len(runs))[i] = f["line_accuracy"]
                elif isinstance(f, dict):
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
