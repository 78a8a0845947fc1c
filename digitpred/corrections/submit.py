"""One correction from a request: the true answer read from its fields, the image read again with the served model
(the server knows what it predicted without trusting the client), the row recorded once.

Shared by POST /api/corrections (digitpred/api/corrections.py) and the page's form without JavaScript
(digitpred/web/routes.py); each reads the image from its own request and hands it here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import current_app

from digitpred import metrics
from digitpred.corrections.database import Submission, record
from digitpred.corrections.tables import Correction
from digitpred.errors import RequestError
from digitpred.extensions import ml
from digitpred.ml.segment import MAX_DIGITS  # a true number is as long as a number read can be
from digitpred.ml.service import read

# A true number as digitpred writes one: a minus sign first if any, then digits with decimal points among them.
NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)*|-?\.[0-9]+")


def truth_from_fields(fields: Mapping, query: Mapping) -> tuple[str, str]:
    """(mode, the true answer as digits) from `label` (a digit) or `number` (a string of digits), each taken from
    the body's fields, else the query string."""

    def field(name: str):
        return fields[name] if fields.get(name) is not None else query.get(name)

    label, number = field("label"), field("number")
    if label is not None and number is not None:
        raise RequestError("invalid_truth", "Send either 'label' (a digit) or 'number' (digits), not both.")
    mode = fields.get("mode") or query.get("mode") or ("number" if number is not None else "digit")
    if mode == "digit":
        if label is None:
            raise RequestError("missing_truth", "Send the true digit as 'label' (0-9).")
        text = str(label).strip() if not isinstance(label, bool) else ""
        if len(text) != 1 or not text.isdigit() or not text.isascii():
            raise RequestError("invalid_truth", "'label' must be one digit, 0-9.")
        return mode, text
    if mode == "number":
        if number is None:
            raise RequestError("missing_truth", "Send the true number as 'number' (a string of digits).")
        text = number.strip().replace(",", ".") if isinstance(number, str) else ""
        digits = sum(c.isdigit() for c in text)
        if not (NUMBER.fullmatch(text) and 1 <= digits <= MAX_DIGITS):
            raise RequestError(
                "invalid_truth",
                f"'number' must be 1 to {MAX_DIGITS} digits, 0-9, with a leading '-' and decimal points if any.",
            )
        return mode, text
    raise RequestError("invalid_mode", f"mode must be digit or number, not {mode!r}.")


def submit(image: bytes, fields: Mapping, query: Mapping) -> tuple[Correction, bool]:
    """Read the truth from the request's fields, read the image again, record: (the row, whether it is new)."""
    mode, truth = truth_from_fields(fields, query)
    reading = read(image, mode, ml.holder, ml.settings)
    submission = Submission(
        mode, image, truth, reading.answer, reading.confidence, reading.input_png(), ml.file_sha256()
    )
    row, new = record(submission, int(current_app.config["CORRECTIONS_MAX_ORIGINAL_BYTES"]))
    if new:
        metrics.correction()
    return row, new
