"""Page views. The upload form posts here when JavaScript is off; the server renders the answer."""

from __future__ import annotations

import base64
import binascii

from flask import current_app, render_template, request

from digitpred import metrics
from digitpred.corrections.submit import submit
from digitpred.errors import RequestError
from digitpred.extensions import ml
from digitpred.ml.errors import DigitpredError
from digitpred.ml.service import read
from digitpred.web import bp
from digitpred.web.forms import UploadForm


@bp.route("/", methods=["GET", "POST"])
def index():
    form = UploadForm()
    result = number = error = correct = closest = None
    status = 200
    if form.is_submitted():
        if form.validate():
            data = form.image.data.read()
            try:
                reading = read(data, form.mode.data, ml.holder, ml.settings)
            except DigitpredError as exc:
                metrics.refusal(exc.code)
                error, status = exc.message, exc.status
                closest = exc.details().get("closest")  # a refusal still names the nearest digit
            else:
                metrics.reading(form.mode.data, reading)
                shown = reading.to_dict()  # the template shows `result` (a digit) or `number`
                if form.mode.data == "digit":
                    result = shown
                elif form.mode.data == "number":
                    number = shown
                else:  # a page's numbers, shown as one: the lines apart by " / ", every digit in the strip
                    digits = [d for line in shown["lines"] for d in line["digits"]]
                    number = {"number": reading.answer, "confidence": shown["confidence"], "digits": digits}
                if form.mode.data in ("digit", "number"):  # a page's corrections would need a truth per line
                    correct = _correction_form(data, form.mode.data, reading.answer)
        else:
            error = " ".join(msg for messages in form.errors.values() for msg in messages)
            status = 400
    return render_template(
        "web/index.html", form=form, result=result, number=number, error=error, correct=correct, closest=closest
    ), status


def _correction_form(data: bytes, mode: str, predicted: str) -> dict | None:
    """What the no-JavaScript correction form sends back: the image itself, when it is small enough to keep."""
    if len(data) > int(current_app.config["CORRECTIONS_MAX_ORIGINAL_BYTES"]):
        return None
    return {"image": base64.b64encode(data).decode("ascii"), "mode": mode, "predicted": predicted}


def _form_image() -> bytes:
    """The image the correction form carries back, as _correction_form wrote it."""
    try:
        data = base64.b64decode(request.form.get("image", ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestError("invalid_base64", "The image is not valid base64.") from exc
    if not data:
        raise RequestError("missing_image", "The form has no image.")
    return data


@bp.post("/feedback")
def feedback():
    """The correction form without JavaScript: the fields of POST /api/corrections, plus the CSRF token."""
    form = UploadForm(formdata=None)
    try:
        row, _ = submit(_form_image(), request.form, request.args)
    except (RequestError, DigitpredError) as exc:
        return render_template("web/index.html", form=form, error=exc.message, correct=None), exc.status
    thanks = "Thank you for confirming." if row.predicted == row.truth else f"Thank you: saved as {row.truth}."
    return render_template("web/index.html", form=form, thanks=thanks, correct=None)


@bp.get("/model")
def model_card():
    """The model's figures: held-out accuracy, each realistic set's accuracy and confusion, its training."""
    state = ml.state
    return render_template(
        "web/model.html",
        meta=state["metadata"],
        gate=state["gate_metadata"],
        sha256=ml.file_sha256(),
        backend=state["backend"],
    )
