"""The JSON API blueprint, mounted at /api."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from digitpred.api import corrections, routes  # noqa: E402,F401  (registers the views on bp)
