"""The rows `digitpred predict` writes, one per image or PDF page, and the three ways it writes them: an aligned
table for people, CSV and JSON lines for programs. Errors carry the same codes as the web API."""

from __future__ import annotations

import csv
import json
from typing import TextIO

from digitpred.ml.errors import DigitpredError
from digitpred.ml.service import LinesReading, NumberReading, Prediction

COLUMNS = ("file", "page", "answer", "confidence", "uncertain", "status", "error", "message")
FORMATS = ("table", "csv", "jsonl")


def row(name: str, page: int | None, result: Prediction | NumberReading | LinesReading) -> dict:
    # A number, or a page of numbers (mode lines: its answer has " / " between lines), is unsure in any digit.
    uncertain = result.uncertain if isinstance(result, Prediction) else any(p.uncertain for p, _ in result.digits)
    return {
        "file": name,
        "page": page,
        "answer": result.answer,
        "confidence": round(result.confidence, 6),
        "uncertain": uncertain,
        "status": "read",
        "error": None,
        "message": None,
    }


def error_row(name: str, page: int | None, error: DigitpredError) -> dict:
    """A 422 (no digit, not a digit, too many digits) is a refusal: the image was read and judged. Anything else
    (not an image, too large, a missing file) is a failure."""
    return {
        "file": name,
        "page": page,
        "answer": None,
        "confidence": None,
        "uncertain": None,
        "status": "refused" if error.status == 422 else "failed",
        "error": error.code,
        "message": error.message,
    }


class Writer:
    """Writes rows as they come: nothing is collected, however many files there are."""

    def __init__(self, out: TextIO, fmt: str, name_width: int = 24) -> None:
        self.out, self.fmt = out, fmt
        self.name_width = max(4, min(name_width, 60))
        self.csv = csv.DictWriter(out, COLUMNS, lineterminator="\n") if fmt == "csv" else None

    def header(self) -> None:
        if self.csv:
            self.csv.writeheader()
        elif self.fmt == "table":
            self._line("FILE", "PAGE", "ANSWER", "CONFIDENCE", "UNSURE", "STATUS")

    def write(self, r: dict) -> None:
        if self.csv:
            self.csv.writerow({k: "" if r[k] is None else r[k] for k in COLUMNS})
        elif self.fmt == "jsonl":
            self.out.write(json.dumps(r, ensure_ascii=False) + "\n")
        else:
            status = r["status"] if not r["error"] else f"{r['status']}: {r['error']}: {r['message']}"
            confidence = "" if r["confidence"] is None else f"{r['confidence']:.3f}"
            unsure = {None: "", True: "yes", False: ""}[r["uncertain"]]
            page = "" if r["page"] is None else str(r["page"])
            self._line(r["file"], page, r["answer"] or "", confidence, unsure, status)
        self.out.flush()

    def _line(self, name, page, answer, confidence, unsure, status) -> None:
        w = self.name_width
        name = name if len(name) <= w else "…" + name[-(w - 1) :]
        self.out.write(f"{name:<{w}}  {page:>4}  {answer:<10}  {confidence:>10}  {unsure:<6}  {status}\n")
