from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from digitpred import create_app
from digitpred.ml.errors import ModelNotReady
from digitpred.ml.model import ModelHolder, default_model_path, load_model


def test_holder_loads_once_under_32_concurrent_first_calls():
    calls = []

    def slow_loader():
        calls.append(threading.get_ident())
        time.sleep(0.2)
        return object()

    holder = ModelHolder(slow_loader)
    barrier = threading.Barrier(32)
    seen = []

    def first_call():
        barrier.wait()
        seen.append(holder.get())

    threads = [threading.Thread(target=first_call) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(seen) == 32 and all(m is seen[0] for m in seen)
    assert holder.ready


def test_real_model_loads_once_in_the_app_under_32_threads(real_app):
    holder = real_app.extensions["digitpred"]["model"]
    assert not holder.ready
    barrier = threading.Barrier(32)
    client = real_app.test_client
    answers = []
    from tests.helpers import resource

    data = resource("canvas-7.png")

    def first_request():
        barrier.wait()
        answers.append(client().post("/api/predict", data=data, content_type="image/png").json["digit"])

    threads = [threading.Thread(target=first_request) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert holder.loads == 1
    assert answers == [7] * 32


def test_failed_load_is_not_ready_and_can_retry():
    attempts = []

    def loader():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("disk on fire")
        return "model"

    holder = ModelHolder(loader)
    with pytest.raises(ModelNotReady):
        holder.get()
    assert not holder.ready and holder.error == "OSError"
    assert holder.get() == "model" and holder.ready


def test_litert_batches_of_any_size(heldout):
    model = load_model(default_model_path())
    x = heldout[0][:33].astype(np.float32)[..., None] / 255.0
    one_by_one = np.concatenate([model(x[i : i + 1]) for i in range(len(x))])
    together = model(x)
    assert together.shape == (33, 11)  # the reader's ten digits and the gate's "not a digit"
    assert np.allclose(one_by_one, together, atol=1e-5)
    assert np.allclose(together.sum(axis=1), 1.0, atol=1e-4)


def test_a_large_batch_runs_in_slices_that_keep_the_interpreter_small(heldout):
    """64 digits give exactly what each gives alone, and the interpreter's tensors stay sized for a slice."""
    from digitpred.ml.model import LiteRTModel

    model = load_model(default_model_path())
    x = heldout[0][:64].astype(np.float32)[..., None] / 255.0
    together = model(x)
    assert np.array_equal(together, np.concatenate([model(x[i : i + 1]) for i in range(len(x))]))
    model(x)
    for part in (model.reader, model.gate):
        assert isinstance(part, LiteRTModel)
        assert part._interpreter.get_input_details()[0]["shape"][0] <= LiteRTModel.SLICE < len(x)
    assert model(x[:0]).shape == (0, 11)


def test_the_shipped_reader_keeps_its_digits_and_the_gate_says_whether_there_is_one(heldout, tmp_path):
    """Beside the reader lies the gate: loaded together, each digit's reading is the reader's own, scaled by the
    gate's share for "a digit"; a reader alone (no gate beside it) answers ten classes."""
    import shutil

    from digitpred.ml.model import Gated, gate_path

    x = heldout[0][:40].astype(np.float32)[..., None] / 255.0
    shutil.copy(default_model_path(), tmp_path / "digitpred-cnn.tflite")
    reader = load_model(tmp_path / "digitpred-cnn.tflite")(x)
    gate = load_model(gate_path(default_model_path()))(x)
    both = load_model(default_model_path())
    assert isinstance(both, Gated) and reader.shape == (40, 10) and gate.shape == (40, 11)
    together = both(x)
    assert np.allclose(together[:, 10], gate[:, 10], atol=1e-6)
    assert (together[:, :10].argmax(axis=1) == reader.argmax(axis=1)).all()
    assert np.allclose(together.sum(axis=1), 1.0, atol=1e-4)
    assert (together[:, 10] < 0.5).mean() > 0.95  # held-out digits are digits


def test_keras_backend_matches_litert(heldout):
    pytest.importorskip("keras", reason="the Keras backend needs the [train] extra")
    x = heldout[0].astype(np.float32)[..., None] / 255.0
    litert = load_model(default_model_path(), "litert")(x)
    keras_model = load_model(default_model_path(), "keras")(x)
    # The served file holds int8 weights (training/export.py): the same answers, probabilities a hair apart.
    assert (litert[:, :10].argmax(axis=1) == keras_model[:, :10].argmax(axis=1)).all()
    assert np.abs(litert - keras_model).max() < 0.03


def test_unknown_backend(config):
    app = create_app({**config, "MODEL_BACKEND": "onnx"})
    rv = app.test_client().post("/api/predict", data=b"x", content_type="image/png")
    assert rv.status_code in (415, 503)
    from tests.helpers import resource

    rv = app.test_client().post("/api/predict", data=resource("canvas-7.png"), content_type="image/png")
    assert rv.status_code == 503
    assert "/" not in rv.json["error"]["message"]  # no server paths in what clients see
