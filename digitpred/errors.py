"""One JSON error shape for everything under /api: {"error": {"code": ..., "message": ...}}."""

from __future__ import annotations

import re

from flask import Flask, jsonify, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from digitpred import metrics
from digitpred.extensions import limiter
from digitpred.ml.errors import DigitpredError


class RequestError(Exception):
    """A malformed request (400 unless said otherwise): the HTTP layer's own typed error."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def error_response(code: str, message: str, status: int, **details):
    if status < 500:
        metrics.refusal(code)
    response = jsonify({"error": {"code": code, "message": message, **details}})
    response.status_code = status
    return response


def wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(RequestError)
    def _request_error(exc: RequestError):
        return error_response(exc.code, exc.message, exc.status)

    @app.errorhandler(DigitpredError)
    def _domain_error(exc: DigitpredError):
        return error_response(exc.code, exc.message, exc.status, **exc.details())

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded):
        seconds = limiter.retry_after()
        if wants_json():
            message = f"Too many requests from this address (at most {exc.description}); try again in {seconds} s."
            response = error_response("rate_limited", message, 429)
        else:
            response = exc.get_response()
        response.headers["Retry-After"] = str(seconds)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not wants_json():
            return exc.get_response()
        code = {413: "request_too_large", 404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}.get(
            exc.code or 500, _snake(exc.name)
        )
        response = error_response(code, exc.description or exc.name, exc.code or 500)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        if not wants_json():
            return "Internal Server Error", 500
        return error_response("internal_error", "Something went wrong on our side.", 500)
