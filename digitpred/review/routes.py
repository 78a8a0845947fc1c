"""Review views: the list with filters and the confusion chart, discard and restore, the original image."""

from __future__ import annotations

import base64
import io

from flask import abort, g, redirect, render_template, request, url_for
from PIL import Image, UnidentifiedImageError

from digitpred.corrections import STATUSES
from digitpred.corrections.database import confusion, get, listing, set_status
from digitpred.extensions import csrf
from digitpred.review import auth, bp

PAGE_SIZE = 60
HEAT_LEVELS = 5


@bp.before_request
def _gate():
    token = auth.configured_token()
    if token is None:
        abort(404)  # no token configured: the page does not exist
    if request.endpoint in ("review.login", "review.static"):
        if request.method == "POST":
            csrf.protect()
        return None
    if auth.bearer_ok(token):
        g.review_by = "bearer"  # a script: no cookie, so no cross-site request can borrow it and no CSRF token
        return None
    if auth.session_ok(token):
        g.review_by = "session"
        if request.method == "POST":
            csrf.protect()
        return None
    if request.method == "GET":
        return render_template("review/login.html", error=None), 401
    abort(401)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        if auth.same(request.form.get("token", ""), auth.configured_token()):
            auth.log_in(auth.configured_token())
            return redirect(url_for("review.index"))
        return render_template("review/login.html", error="That is not the review token."), 401
    return render_template("review/login.html", error=None)


@bp.post("/logout")
def logout():
    auth.log_out()
    return redirect(url_for("review.login"))


def _filters() -> dict:
    args = request.args
    f = {
        "truth": args.get("truth", "").strip(),
        "predicted": args.get("predicted", "").strip(),
        "status": args.get("status", "kept"),
        "wrong": args.get("wrong") == "1",
    }
    for key in ("truth", "predicted"):
        if f[key] and not (f[key].isdigit() and f[key].isascii() and len(f[key]) <= 12):
            f[key] = ""
    if f["status"] not in (*STATUSES, "all"):
        f["status"] = "kept"
    return f


def _heat(m) -> list[list[tuple[int, int]]]:
    """Each cell's count and its shade, 0 (none) to HEAT_LEVELS, against the largest count off the diagonal."""
    off = [int(m[t][p]) for t in range(10) for p in range(10) if t != p]
    top = max([*off, 1])
    return [
        [(int(m[t][p]), 0 if not m[t][p] else max(1, round(HEAT_LEVELS * min(m[t][p], top) / top))) for p in range(10)]
        for t in range(10)
    ]


@bp.get("/")
def index():
    f = _filters()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total, rows = listing(f, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    items = [
        {"row": r, "thumb": "data:image/png;base64," + base64.b64encode(r.input_png).decode("ascii")} for r in rows
    ]
    m = confusion()
    return render_template(
        "review/index.html",
        items=items,
        filters=f,
        page=page,
        total=total,
        pages=max(1, -(-total // PAGE_SIZE)),
        heat=_heat(m),
        kept=int(m.sum()),
        wrong=int(m.sum() - m.trace()),
        statuses=STATUSES,
    )


@bp.post("/<int:correction_id>/status")
def change_status(correction_id: int):
    status = request.form.get("status", "")
    if status not in STATUSES:
        abort(400)
    if not set_status(correction_id, status):
        abort(404)
    back = request.form.get("next", "")
    # only back to the review list itself, never to another site
    return redirect(back if back.startswith("/review") and not back.startswith("//") else url_for("review.index"))


@bp.get("/<int:correction_id>/original")
def original(correction_id: int):
    row = get(correction_id)
    if row is None or row.original is None:
        abort(404)
    try:
        kind = Image.open(io.BytesIO(row.original)).format or ""
    except (UnidentifiedImageError, OSError):
        abort(404)
    mimetype = Image.MIME.get(kind.upper())
    if mimetype is None or not mimetype.startswith("image/") or mimetype == "image/svg+xml":
        abort(404)
    return row.original, 200, {"Content-Type": mimetype, "Cache-Control": "private, no-store"}
