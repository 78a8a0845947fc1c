"""HTTP <-> the serving core. No pixels are touched here."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path

from flask import current_app, jsonify, request

from digitpred import __version__, metrics
from digitpred.api import bp
from digitpred.api.inputs import JsonLimits, image_from_request, images_from_request
from digitpred.errors import RequestError
from digitpred.extensions import limiter, ml
from digitpred.ml.errors import DigitpredError, ModelNotReady
from digitpred.ml.model import MODEL_NAME
from digitpred.ml.service import check_mode, read
from digitpred.ml.service import predict_batch as run_batch
from digitpred.mnist import VALIDATION_SIZE


def json_limits() -> JsonLimits:
    config = current_app.config
    return JsonLimits(int(config["MAX_JSON_BYTES"]), int(config["MAX_JSON_DEPTH"]))


@bp.post("/predict")
def predict():
    data, fields = image_from_request(request, json_limits())
    mode = fields.get("mode") or request.args.get("mode") or "digit"
    reading = read(data, mode, ml.holder, ml.settings)  # an unknown mode: 400 invalid_mode
    metrics.reading(mode, reading)
    return jsonify(reading.to_dict())


@bp.post("/predict/batch")
def predict_batch():
    items = images_from_request(request, int(current_app.config["MAX_BATCH"]), json_limits())
    images = [item for item in items if isinstance(item, bytes)]
    metrics.batch(len(items))
    mode = request.args.get("mode") or "digit"
    if mode == "digit":  # one forward pass for the whole batch
        answers = iter(run_batch(images, ml.model(), ml.settings) if images else [])
    else:  # each image read as a number or a page; an unknown mode is 400 invalid_mode before any is read
        check_mode(mode)
        answers = iter([_read_or_error(data, mode) for data in images])
    results = []
    for item in items:
        answer = next(answers) if isinstance(item, bytes) else item
        if isinstance(answer, DigitpredError):
            metrics.refusal(answer.code)
            results.append({"error": {"code": answer.code, "message": answer.message, **answer.details()}})
        elif isinstance(answer, RequestError):
            metrics.refusal(answer.code)
            results.append({"error": {"code": answer.code, "message": answer.message}})
        else:
            metrics.reading(mode, answer)
            results.append(answer.to_dict())
    return jsonify({"results": results})


def _read_or_error(data: bytes, mode: str):
    try:
        return read(data, mode, ml.holder, ml.settings)
    except DigitpredError as exc:  # each image's own fault stays that image's answer
        if isinstance(exc, ModelNotReady):
            raise
        return exc


@bp.get("/health")
@limiter.exempt  # load balancers and monitors poll it
def health():
    """Up, and whether predictions can be served: "degraded" with the reason when the model cannot be."""
    holder = ml.holder
    body = {"status": "ok", "model_loaded": holder.ready}
    if holder.error:
        body.update(status="degraded", reason=f"the model could not be loaded ({holder.error})")
    elif not holder.ready and not Path(ml.state["model_path"]).is_file():
        body.update(status="degraded", reason="the model file is missing")
    return jsonify(body)


@bp.get("/health/live")
@limiter.exempt
def live():
    """200 while the process answers: a liveness probe restarts a process only when this fails."""
    return jsonify({"status": "ok"})


@bp.get("/health/ready")
@limiter.exempt
def ready():
    """200 when this worker can serve predictions: the model is loaded (loading it now if need be), 503
    model_not_ready with the reason otherwise, so that a load balancer sends its traffic elsewhere."""
    try:
        ml.model()
    except DigitpredError as e:
        reason = "the model file is missing" if not Path(ml.state["model_path"]).is_file() else e.message
        raise ModelNotReady(f"Not ready: {reason}.") from e
    return jsonify({"status": "ready", "model_loaded": True})


@bp.get("/model")
def model_info():
    meta, gate = ml.state["metadata"], ml.state["gate_metadata"]
    validation = meta.get("validation", {})
    classes = meta.get("classes", list(range(10)))
    return jsonify(
        {
            "name": meta.get("name", MODEL_NAME),
            "version": meta.get("version"),
            "digitpred_version": __version__,
            "backend": ml.state["backend"],
            "input_shape": meta.get("input_shape", [28, 28, 1]),
            "classes": [*classes, "not a digit"] if gate and "not a digit" not in classes else classes,
            "validation_accuracy": validation.get("accuracy"),
            "validation_digits": validation.get("digits", VALIDATION_SIZE),
            "sha256": ml.file_sha256(),
            "trained_at": meta.get("trained_at"),
            "training": meta.get("training", {}),
            "evaluations": meta.get("evaluations", {}),
            "gate": None
            if gate is None
            else {
                "name": gate.get("name"),
                "version": gate.get("version"),
                "validation_accuracy": gate.get("validation", {}).get("accuracy"),
                "training": gate.get("training", {}),
            },
            "loaded": ml.holder.ready,
        }
    )


@cache
def _openapi() -> dict:
    spec = json.loads(files("digitpred.api").joinpath("openapi.json").read_text(encoding="utf-8"))
    spec["info"]["version"] = __version__  # the package's one version number, not a second copy in the file
    return spec


@bp.get("/openapi.json")
def openapi():
    """The API's OpenAPI 3 description; the tests fuzz the API against it, so it stays true."""
    return jsonify(_openapi())
