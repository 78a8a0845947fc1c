"""POST /api/feedback: the true answer for an image. The server reads the image again to know what it predicted."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, jsonify, request

from digitpred.api import bp
from digitpred.api.inputs import image_from_request
from digitpred.api.routes import json_limits
from digitpred.errors import RequestError
from digitpred.extensions import ml
from digitpred.ml.segment import MAX_DIGITS  # a true number is as long as a number read can be
from digitpred.ml.service import read


def truth_from_request(fields: Mapping, query: Mapping) -> tuple[str, str]:
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
        text = number.strip() if isinstance(number, str) else ""
        if not (1 <= len(text) <= MAX_DIGITS and text.isdigit() and text.isascii()):
            raise RequestError("invalid_truth", f"'number' must be a string of 1 to {MAX_DIGITS} digits, 0-9.")
        return mode, text
    raise RequestError("invalid_mode", f"mode must be digit or number, not {mode!r}.")


def submit(req) -> tuple:
    """Read the image and the truth from a request, predict again, store: (the row, whether it is new).

    Shared by the API and the page's no-JavaScript form, which posts the same fields.
    """
    from digitpred.corrections.store import Submission, record  # the store, and SQLAlchemy, only when used

    data, fields = image_from_request(req, json_limits())  # MAX_JSON_BYTES and MAX_JSON_DEPTH, as for predictions
    mode, truth = truth_from_request(fields, req.args)
    reading = read(data, mode, ml.holder, ml.settings)
    predicted, confidence, input_png = reading.answer, reading.confidence, reading.input_png()
    submission = Submission(mode, data, truth, predicted, confidence, input_png, ml.file_sha256())
    return record(submission, int(current_app.config["FEEDBACK_MAX_ORIGINAL_BYTES"]))


@bp.post("/feedback")
def feedback():
    """Store a correction (or a confirmation): 201 with its id, or 200 with the id it already had."""
    row, new = submit(request)
    body = {"id": row.id, "duplicate": not new, "mode": row.mode, "predicted": row.predicted, "truth": row.truth}
    return jsonify(body), 201 if new else 200
