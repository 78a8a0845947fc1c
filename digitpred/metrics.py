"""Prometheus metrics at GET /metrics, with prometheus-client: requests by route and status, their latency,
predictions by mode and digit, refusals by code, batch sizes, model load time and corrections stored.

Each app has its own registry (in app.extensions["digitpred"]["metrics"]), so that several apps in one process
(the tests) never clash. Under gunicorn every worker is its own process: gunicorn_conf.py sets
PROMETHEUS_MULTIPROC_DIR before any worker starts, each worker writes its counts there, and /metrics adds up
every worker's, whichever worker answers. Off with METRICS_ENABLED=false; METRICS_TOKEN asks for a Bearer token.
"""

from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request

bp = Blueprint("metrics", __name__)

# Seconds: a canvas takes a few milliseconds, a phone photo tens, a page of a hundred digits about a second.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
LOAD_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Recorder:
    """The metrics of one app, in a registry of its own."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "digitpred_http_requests",
            "Requests answered, by route and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "digitpred_http_request_duration_seconds",
            "Time from the request's arrival to its answer, by route.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.predictions = Counter("digitpred_predictions", "Images read, by mode.", ["mode"], registry=r)
        self.digits = Counter(
            "digitpred_digits_read",
            "Digits read, by mode and digit (a number counts each of its digits).",
            ["mode", "digit"],
            registry=r,
        )
        self.refusals = Counter(
            "digitpred_refusals",
            "Images or requests refused, by error code (not_a_digit, no_digit, ...).",
            ["code"],
            registry=r,
        )
        self.batch_size = Histogram(
            "digitpred_batch_size", "Images in each POST /api/predict/batch.", buckets=BATCH_BUCKETS, registry=r
        )
        self.model_load = Histogram(
            "digitpred_model_load_seconds", "Time to load the model, per load.", buckets=LOAD_BUCKETS, registry=r
        )
        self.corrections = Counter("digitpred_corrections_stored", "Corrections stored.", registry=r)

    def exposition(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess

        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # every worker's files, dead workers' counters included
            return generate_latest(registry)
        return generate_latest(self.registry)


def recorder() -> Recorder | None:
    return current_app.extensions["digitpred"].get("metrics")


def reading(mode: str, result) -> None:
    """One image read: a Prediction (digit), a NumberReading or a LinesReading."""
    rec = recorder()
    if rec is None:
        return
    rec.predictions.labels(mode).inc()
    # A number, or a page of them, counts each of its digits.
    digits = [result.digit] if hasattr(result, "digit") else [p.digit for p, _ in result.digits]
    for digit in digits:
        rec.digits.labels(mode, str(digit)).inc()


def refusal(code: str) -> None:
    rec = recorder()
    if rec is not None:
        rec.refusals.labels(code).inc()


def batch(size: int) -> None:
    rec = recorder()
    if rec is not None:
        rec.batch_size.observe(size)


def correction() -> None:
    rec = recorder()
    if rec is not None:
        rec.corrections.inc()


def model_loaded(app: Flask, seconds: float) -> None:
    """Called by the model's loader, which may run outside any request (PRELOAD_MODEL): so the app is given."""
    rec = app.extensions["digitpred"].get("metrics")
    if rec is not None:
        rec.model_load.observe(seconds)


@bp.get("/metrics")
def metrics():
    token = current_app.config["METRICS_TOKEN"]
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            abort(401)
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(recorder().exposition(), content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    if not app.config["METRICS_ENABLED"]:
        return
    from digitpred.extensions import limiter  # here: extensions -> serving -> metrics would be a cycle at import

    app.extensions.setdefault("digitpred", {})["metrics"] = Recorder()
    limiter.exempt(bp)  # Prometheus scrapes every few seconds from one address
    app.register_blueprint(bp)

    @app.before_request
    def _started() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _answered(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            rec = recorder()
            route = request.url_rule.rule if request.url_rule else "unmatched"  # never the raw path: no explosion
            rec.requests.labels(request.method, route, str(response.status_code)).inc()
            rec.latency.labels(request.method, route).observe(time.perf_counter() - started)
        return response
