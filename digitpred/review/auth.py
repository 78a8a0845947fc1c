"""Who may review: a Bearer token in the Authorization header, or a session that logged in with the token."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request, session

SESSION_KEY = "review"


def configured_token() -> str | None:
    token = current_app.config.get("REVIEW_TOKEN")
    # str(): FLASK_REVIEW_TOKEN=12345 arrives as a number (Flask parses environment values as JSON)
    return str(token) if token not in (None, "") else None


def same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


def bearer_ok(token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and same(given.strip(), token)


def session_mark(token: str) -> str:
    """What the session holds after a login: keyed with SECRET_KEY, so a leaked cookie does not reveal the token,
    and a new token logs everyone out."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"review:" + token.encode(), hashlib.sha256).hexdigest()


def session_ok(token: str) -> bool:
    return same(str(session.get(SESSION_KEY, "")), session_mark(token))


def log_in(token: str) -> None:
    session.clear()  # a fresh session for the new privilege
    session[SESSION_KEY] = session_mark(token)


def log_out() -> None:
    session.pop(SESSION_KEY, None)
