"""A labelled set of images through the prediction path -> figures and an HTML report you can look at.

The caller passes `predict`, bytes -> the API's JSON answer (a dict with "digit" and "input", or "error"),
so that evaluation measures exactly what users get.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from digitpred.ml.model import NOT_A_DIGIT

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
# Things that are not digits sit in DIR/not-a-digit/ and count as the model's not-a-digit class: refusing them is
# right.
NOT_A_DIGIT_FOLDER = "not-a-digit"


@dataclass
class Outcome:
    path: Path
    label: int
    digit: int | None  # None: the service answered an error
    confidence: float
    seconds: float
    input: str | None = None
    error: str | None = None
    uncertain: bool = False  # the answer's own flag: the model was unsure

    @property
    def refused(self) -> bool:
        return self.error == "not_a_digit"

    @property
    def right(self) -> bool:
        return self.refused if self.label == NOT_A_DIGIT else self.digit == self.label


@dataclass
class Report:
    name: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return float(np.mean([o.right for o in self.outcomes])) if self.outcomes else 0.0

    @property
    def refused(self) -> float:
        """The share answered "not a digit": on a set of digits, the false refusals."""
        return float(np.mean([o.refused for o in self.outcomes])) if self.outcomes else 0.0

    def confusion(self) -> np.ndarray:
        """11×12 counts: rows true digit (10: not a digit), columns the digit read, then refused, then other
        error answers."""
        m = np.zeros((11, 12), dtype=int)
        for o in self.outcomes:
            m[o.label, o.digit if o.digit is not None else (NOT_A_DIGIT if o.refused else NOT_A_DIGIT + 1)] += 1
        return m

    def per_class(self) -> list[tuple[int, int, float]]:
        m = self.confusion()
        return [
            (d, int(m[d].sum()), float(m[d, d] / m[d].sum()) if m[d].sum() else 0.0) for d in range(NOT_A_DIGIT + 1)
        ]

    def flagged(self) -> dict:
        """How often the answer said it was unsure, among the mistakes and among the right answers: the flag
        is worth showing when it catches many mistakes and few right answers."""
        answered = [o for o in self.outcomes if o.digit is not None]
        wrong = [o.uncertain for o in answered if not o.right]
        right = [o.uncertain for o in answered if o.right]
        return {
            "mistakes": round(float(np.mean(wrong)), 5) if wrong else None,
            "right": round(float(np.mean(right)), 5) if right else None,
        }

    def summary(self) -> dict:
        ms = np.array([o.seconds for o in self.outcomes]) * 1000
        return {
            "set": self.name,
            "images": len(self.outcomes),
            "accuracy": round(self.accuracy, 5),
            "errors": sum(o.digit is None and not o.refused for o in self.outcomes),
            "refused": round(self.refused, 5),
            "per_class": {str(d) if d < 10 else "not a digit": round(acc, 5) for d, n, acc in self.per_class() if n},
            "confusion": self.confusion().tolist(),
            "flagged_uncertain": self.flagged(),
            "ms_per_image": {"mean": round(float(ms.mean()), 2), "p50": round(float(np.median(ms)), 2)}
            if len(ms)
            else {},
        }


def labelled_images(source: str | Path) -> Iterator[tuple[Path, int]]:
    """DIR/<digit>/* or a CSV of path,label (paths relative to the CSV's folder)."""
    source = Path(source)
    if source.is_file():
        with source.open(newline="") as f:
            for row in csv.reader(f):
                if len(row) < 2 or not row[1].strip().isdigit():
                    continue  # a header or a blank line
                yield (source.parent / row[0].strip()), int(row[1])
        return
    for digit in range(NOT_A_DIGIT + 1):
        folder = source / (str(digit) if digit != NOT_A_DIGIT else NOT_A_DIGIT_FOLDER)
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix.lower() in IMAGE_SUFFIXES:
                    yield path, digit


def evaluate(
    source: str | Path,
    predict: Callable[[bytes], dict],
    name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    report = Report(name or Path(source).name)
    for i, (path, label) in enumerate(labelled_images(source)):
        data = path.read_bytes()
        started = time.perf_counter()
        answer = predict(data)
        seconds = time.perf_counter() - started
        if "error" in answer:
            report.outcomes.append(Outcome(path, label, None, 0.0, seconds, error=answer["error"]["code"]))
        else:
            report.outcomes.append(
                Outcome(
                    path,
                    label,
                    int(answer["digit"]),
                    float(answer["confidence"]),
                    seconds,
                    answer["input"],
                    uncertain=bool(answer.get("uncertain")),
                )
            )
        if progress:
            progress(i + 1)
    return report


def confusion_png(m: np.ndarray, cell: int = 36) -> bytes:
    """The confusion matrix as a picture: darker cells hold more of the row's images."""
    rows, cols = m.shape
    pad = cell
    img = Image.new("RGB", (pad + cols * cell + 1, pad + rows * cell + 1), "white")
    d = ImageDraw.Draw(img)
    for c in range(cols):
        d.text((pad + c * cell + cell // 2 - 4, pad // 2 - 6), {10: "R", 11: "E"}.get(c, str(c)), fill="black")
    for r in range(rows):
        d.text((pad // 2 - 4, pad + r * cell + cell // 2 - 6), "X" if r == 10 else str(r), fill="black")
        total = max(1, m[r].sum())
        for c in range(cols):
            share = m[r, c] / total
            if r == c or (r == 10 and c == 10):
                colour = (int(255 - 180 * share), int(255 - 60 * share), int(255 - 180 * share))
            else:
                colour = (255, int(255 - 255 * min(1, share * 5)), int(255 - 255 * min(1, share * 5)))
            box = [pad + c * cell, pad + r * cell, pad + (c + 1) * cell, pad + (r + 1) * cell]
            d.rectangle(box, fill=colour, outline=(200, 200, 200))
            if m[r, c]:
                d.text((box[0] + 4, box[1] + cell // 2 - 6), str(m[r, c]), fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _thumbnail(path: Path, side: int = 112) -> str:
    try:
        img = Image.open(path)
        img.thumbnail((side, side))
        if img.mode not in ("RGB", "RGBA", "L"):
            img = img.convert("RGBA")
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    except Exception:  # a broken file still gets a row in the gallery
        return ""


def write_html(reports: list[Report], path: str | Path, max_mistakes: int = 60) -> Path:
    parts = [
        "<!doctype html><meta charset='utf-8'><title>digitpred evaluation</title>",
        "<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
        "td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:right}"
        ".m{display:inline-block;margin:.3em;text-align:center;border:1px solid #ddd;padding:.3em}"
        ".m img{width:112px;height:112px;object-fit:contain;background:#888;image-rendering:auto}"
        ".m img.seen{image-rendering:pixelated}</style>",
        "<h1>digitpred evaluation</h1><table><tr><th>set</th><th>images</th><th>accuracy</th><th>errors</th>"
        "<th>refused as no digit</th><th>ms/image (p50)</th><th>flagged unsure: of the mistakes</th>"
        "<th>of the right answers</th></tr>",
    ]

    def share(value: float | None, digits: int) -> str:
        return "" if value is None else f"{value:.{digits}%}"

    for r in reports:
        s = r.summary()
        flagged = s["flagged_uncertain"]
        parts.append(
            f"<tr><td>{html.escape(r.name)}</td><td>{s['images']}</td><td>{s['accuracy']:.2%}</td>"
            f"<td>{s['errors']}</td><td>{s['refused']:.2%}</td><td>{s.get('ms_per_image', {}).get('p50', '')}</td>"
            f"<td>{share(flagged['mistakes'], 0)}</td><td>{share(flagged['right'], 1)}</td></tr>"
        )
    parts.append("</table>")
    for r in reports:
        confusion = base64.b64encode(confusion_png(r.confusion())).decode()
        parts.append(f"<h2>{html.escape(r.name)}: {r.accuracy:.2%} of {len(r.outcomes)}</h2>")
        classes = [(d, acc) for d, n, acc in r.per_class() if n]
        heads = "".join(f"<th>{d if d < 10 else 'not a digit'}</th>" for d, _ in classes)
        parts.append(f"<table><tr><th>digit</th>{heads}</tr><tr><td>accuracy</td>")
        parts.append("".join(f"<td>{acc:.1%}</td>" for _, acc in classes) + "</tr></table>")
        parts.append(
            "<p>Confusion (rows: true digit, the last not a digit; columns: read, then R: refused as no digit,"
            " E: other error answer)</p>"
            f"<img alt='confusion matrix' src='data:image/png;base64,{confusion}'>"
        )
        mistakes = [o for o in r.outcomes if not o.right]
        shown = f", first {max_mistakes}" if len(mistakes) > max_mistakes else ""
        parts.append(f"<h3>Mistakes ({len(mistakes)}{shown})</h3>")
        for o in mistakes[:max_mistakes]:
            seen = f"<img class='seen' alt='what the model saw' src='{o.input}'>" if o.input else ""
            verdict = f"read {o.digit} ({o.confidence:.0%})" if o.digit is not None else html.escape(o.error or "")
            truth = o.label if o.label < 10 else "not a digit"
            parts.append(
                f"<div class='m'><img alt='original' src='{_thumbnail(o.path)}'>{seen}"
                f"<br>true {truth}, {verdict}<br><small>{html.escape(o.path.name)}</small></div>"
            )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))
    return path


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _labels_key(source: str | Path) -> str | None:
    """The second column of source/labels.csv ("number" or "lines"), read from its header line alone."""
    labels = Path(source) / "labels.csv"
    if not labels.is_file():
        return None
    with labels.open(newline="") as f:
        header = f.readline().strip().split(",")
    return header[1] if len(header) > 1 and header[0] == "path" else None


def is_number_set(source: str | Path) -> bool:
    return _labels_key(source) == "number"


def _labelled_rows(
    source: Path, key: str, predict: Callable[[bytes], dict], score: Callable[[str, dict], tuple[int, int, int]]
) -> dict[str, list[tuple[int, int, int, float]]]:
    """Each row of source/labels.csv (path, `key`, flags...) through `predict`, scored as (whole right, parts
    right, parts) with the seconds it took; bucketed as "all", each flag set to 1, and "plain" for rows with none."""
    with (source / "labels.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    flags = [k for k in (rows[0].keys() if rows else []) if k not in ("path", key)]
    buckets: dict[str, list[tuple[int, int, int, float]]] = {"all": []}
    for row in rows:
        started = time.perf_counter()
        answer = predict((source / row["path"]).read_bytes())
        outcome = (*score(row[key], answer), time.perf_counter() - started)
        for name in ["all", *([k for k in flags if row.get(k) == "1"] or ["plain"])]:
            buckets.setdefault(name, []).append(outcome)
    return buckets


def _figures(outcomes: list[tuple[int, int, int, float]], count: str, whole: str, part: str) -> dict:
    parts = sum(o[2] for o in outcomes)
    return {
        count: len(outcomes),
        whole: round(sum(o[0] for o in outcomes) / len(outcomes), 5) if outcomes else 0.0,
        part: round(sum(o[1] for o in outcomes) / parts, 5) if parts else 0.0,
        "ms_p50": round(float(np.median([o[3] for o in outcomes])) * 1000, 2) if outcomes else 0.0,
    }


def evaluate_numbers(source: str | Path, predict: Callable[[bytes], dict]) -> dict:
    """A folder of numbers with labels.csv (path,number,flags...) -> whole-number and per-digit accuracy,
    overall and by difficulty (each flag column, and 'plain' for rows with none)."""

    def score(truth: str, answer: dict) -> tuple[int, int, int]:
        got = answer.get("number", "")
        return int(got == truth), max(0, len(truth) - edit_distance(truth, got)), len(truth)

    source = Path(source)
    buckets = _labelled_rows(source, "number", predict, score)
    summary: dict = {"set": source.name, "numbers": len(buckets["all"])}
    for name, outcomes in buckets.items():
        summary[name] = _figures(outcomes, "numbers", "whole_number_accuracy", "digit_accuracy")
    return summary


def is_lines_set(source: str | Path) -> bool:
    return _labels_key(source) == "lines"


def lines_answer(answer: dict) -> list[str]:
    """An /api/predict?mode=lines answer as its lines, each the numbers on it apart by a space."""
    lines: dict[int, list[str]] = {}
    for entry in answer.get("lines", []):
        lines.setdefault(int(entry["line"]), []).append(entry["number"])
    return [" ".join(lines[k]) for k in sorted(lines)]


def evaluate_lines(source: str | Path, predict: Callable[[bytes], dict]) -> dict:
    """A folder of pages with labels.csv (path,lines,flags...; lines apart by " / ") -> whole pages and lines read
    exactly (a line is right when the line in its place holds the same numbers), overall and by flag."""

    def score(truth: str, answer: dict) -> tuple[int, int, int]:
        lines, got = truth.split(" / "), lines_answer(answer)
        return int(got == lines), sum(1 for i, line in enumerate(lines) if i < len(got) and got[i] == line), len(lines)

    source = Path(source)
    buckets = _labelled_rows(source, "lines", predict, score)
    summary: dict = {"set": source.name, "pages": len(buckets["all"])}
    for name, outcomes in buckets.items():
        summary[name] = _figures(outcomes, "pages", "whole_page_accuracy", "line_accuracy")
    return summary
