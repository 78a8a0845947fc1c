"""CORS for /api: off unless CORS_ORIGINS names the origins whose pages may call the API from a browser.

A few lines rather than flask-cors: the API needs one rule (named origins, or any; no cookies, so no
credentials), and a small hook is easier to audit than a general library's path and regex matching.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from digitpred.errors import wants_json


def allowed_origins() -> tuple[str, ...] | str:
    """CORS_ORIGINS as "*" or a tuple of origins (a list, or a comma-separated string from the environment)."""
    value = current_app.config["CORS_ORIGINS"] or ()
    if isinstance(value, str):
        value = value.strip()
        return "*" if value == "*" else tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
    return tuple(str(o).rstrip("/") for o in value)


def init_app(app: Flask) -> None:
    @app.after_request
    def _cors(response: Response) -> Response:
        if not wants_json():
            return response
        allowed = allowed_origins()
        if allowed:
            # The answer depends on the Origin header (whether it is there, and which): a cache must key on it.
            response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if not origin:
            return response
        if allowed != "*" and origin not in allowed:
            return response
        response.headers["Access-Control-Allow-Origin"] = "*" if allowed == "*" else origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After, X-Request-ID"
        if request.method == "OPTIONS":  # a preflight: what a cross-origin POST of JSON may carry
            response.headers["Access-Control-Allow-Methods"] = "GET, POST"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = "600"
        return response
