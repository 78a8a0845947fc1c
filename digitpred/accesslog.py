"""One access-log line per request, on the "digitpred.access" logger (standard error): the request id, client,
method, route, status and duration, as text for people or JSON for machines (LOG_FORMAT). Never a body, a query
string or a header's value but the request id: no image data, nothing a client typed. The request id comes from
X-Request-ID when a trusted proxy sends one (PROXY_FIX > 0), is made here otherwise, and goes back in the answer
so that a client, the proxy and this log can name the same request."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, Response, current_app, g, request

# What a request id may look like: a proxy's own ids (hex, UUIDs, nginx's $request_id) fit; anything else is
# replaced, so that nothing a client sends can forge a log line.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

log = logging.getLogger("digitpred.access")


def _handler() -> None:
    """The access log's one handler, added once per process: the line is formatted per app (text or JSON)."""
    log.setLevel(logging.INFO)
    log.propagate = False
    if not any(getattr(h, "digitpred_access", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.digitpred_access = True
        log.addHandler(handler)


def request_id() -> str:
    sent = request.headers.get("X-Request-ID", "")
    if current_app.config["PROXY_FIX"] and REQUEST_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


def line(fields: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(fields, separators=(",", ":"))
    return " ".join(f"{k}={v}" for k, v in fields.items())


def init_app(app: Flask) -> None:
    if app.config["LOG_FORMAT"] not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT must be text or json, not {app.config['LOG_FORMAT']!r}")
    _handler()

    @app.before_request
    def _start() -> None:
        g.request_id = request_id()
        g.access_started = time.perf_counter()

    @app.after_request
    def _log(response: Response) -> Response:
        rid = g.get("request_id") or request_id()
        response.headers["X-Request-ID"] = rid
        if current_app.config["ACCESS_LOG"]:
            started = g.get("access_started")
            fields = {
                "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "request_id": rid,
                "client": request.remote_addr,
                "method": request.method,
                "route": request.url_rule.rule if request.url_rule else "unmatched",
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            }
            log.info(line(fields, current_app.config["LOG_FORMAT"]))
        return response
