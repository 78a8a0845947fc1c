"""The review page: an operator looks through the corrections, discards junk, and sees where the model fails.

Off (404) unless REVIEW_TOKEN is set.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "review",
    __name__,
    url_prefix="/review",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

from digitpred.review import routes  # noqa: E402,F401  (registers the views on bp)
