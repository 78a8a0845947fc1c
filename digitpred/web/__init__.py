"""The UI blueprint: the draw and upload page, its templates and its static files."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/web")

from digitpred.web import routes  # noqa: E402,F401  (registers the views on bp)
