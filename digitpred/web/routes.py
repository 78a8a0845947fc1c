"""Page views. The upload form posts here when JavaScript is off; the server renders the answer."""

from __future__ import annotations

from flask import render_template

from digitpred.extensions import ml
from digitpred.ml.errors import DigitpredError
from digitpred.ml.service import predict as run_prediction
from digitpred.ml.service import predict_number as run_number
from digitpred.web import bp
from digitpred.web.forms import UploadForm


@bp.route("/", methods=["GET", "POST"])
def index():
    form = UploadForm()
    result = number = error = None
    status = 200
    if form.is_submitted():
        if form.validate():
            data = form.image.data.read()
            try:
                if form.mode.data == "number":
                    number = run_number(data, ml.model(), ml.settings).to_dict()
                else:
                    result = run_prediction(data, ml.model(), ml.settings).to_dict()
            except DigitpredError as exc:
                error, status = exc.message, exc.status
        else:
            error = " ".join(msg for messages in form.errors.values() for msg in messages)
            status = 400
    return render_template("web/index.html", form=form, result=result, number=number, error=error), status


@bp.get("/model")
def model_card():
    """The model's figures: held-out accuracy, each realistic set's accuracy and confusion, its training."""
    state = ml.state
    return render_template("web/model.html", meta=state["metadata"], sha256=ml.file_sha256(), backend=state["backend"])
