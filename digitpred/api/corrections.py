"""POST /api/corrections (first named POST /api/feedback, which stays): the true answer for an image, recorded by
digitpred/corrections/submit.py."""

from __future__ import annotations

from flask import jsonify, request

from digitpred.api import bp
from digitpred.api.inputs import image_from_request
from digitpred.api.routes import json_limits
from digitpred.corrections.submit import submit


@bp.post("/corrections")
@bp.post("/feedback", endpoint="feedback")  # the first name, for the clients that use it
def corrections():
    """Record a correction (or a confirmation): 201 with its id, or 200 with the id it already had."""
    data, fields = image_from_request(request, json_limits())  # MAX_JSON_BYTES and MAX_JSON_DEPTH, as for predictions
    row, new = submit(data, fields, request.args)
    body = {"id": row.id, "duplicate": not new, "mode": row.mode, "predicted": row.predicted, "truth": row.truth}
    return jsonify(body), 201 if new else 200
