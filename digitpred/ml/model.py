"""The model behind one small interface (float32 N×28×28×1 in, N×10 or N×11 probabilities out), loaded lazily.

Beside the reader (digitpred-cnn) may lie a gate (digitpred-gate): an eleven-class model whose last class is "not a
digit". Loaded together, the reader reads the digit and the gate says whether there is one.

Serving runs the LiteRT export; the Keras model is an optional backend that needs TensorFlow.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from digitpred.ml.errors import ModelNotReady

log = logging.getLogger(__name__)

BACKENDS = ("litert", "keras")
MODEL_NAME = "digitpred-cnn"
GATE_NAME = "digitpred-gate"
# The class after the ten digits, in an eleven-class model: everything that is not a digit.
NOT_A_DIGIT = 10


class Model(Protocol):
    def __call__(self, batch: np.ndarray) -> np.ndarray: ...


def default_model_path() -> Path:
    """The LiteRT model shipped inside the package (the wheel maps the repo's top-level models/ there).

    A plain checkout on sys.path, not installed, has no digitpred.models: then the repo's own folder.
    """
    try:
        return Path(str(resources.files("digitpred.models").joinpath(f"{MODEL_NAME}.tflite")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "models" / f"{MODEL_NAME}.tflite"


def gate_path(model_path: str | Path) -> Path:
    """Where the gate lies for a reader: beside it, in the same format."""
    return Path(model_path).with_name(GATE_NAME + Path(model_path).suffix)


def metadata_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".json")


def read_metadata(model_path: str | Path) -> dict:
    path = metadata_path(model_path)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


class LiteRTModel:
    """One LiteRT interpreter; an interpreter is not thread-safe, so a lock serialises invocations.

    A call costs well under a millisecond, so a lock loses little and keeps one copy of the weights.
    """

    # A batch goes through the interpreter this many digits at a time. Its tensors grow with the batch size and
    # never shrink: a batch of 64 in one go would hold about 12 MB more for the life of the process, 16 at a
    # time about 3 MB. Per digit it is no slower (bench/batch.py), and the probabilities are the same bits.
    SLICE = 16

    def __init__(self, path: str | Path, num_threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        output = self._interpreter.get_output_details()[0]
        self._output, self._classes = output["index"], int(output["shape"][-1])
        self._batch = 0
        self._lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, dtype=np.float32).reshape(-1, 28, 28, 1)
        if not len(batch):
            return np.zeros((0, self._classes), dtype=np.float32)
        with self._lock:
            return np.concatenate([self._invoke(batch[i : i + self.SLICE]) for i in range(0, len(batch), self.SLICE)])

    def _invoke(self, batch: np.ndarray) -> np.ndarray:
        if batch.shape[0] != self._batch:
            self._interpreter.resize_tensor_input(self._input, list(batch.shape))
            self._interpreter.allocate_tensors()
            self._batch = batch.shape[0]
        self._interpreter.set_tensor(self._input, batch)
        self._interpreter.invoke()
        return np.array(self._interpreter.get_tensor(self._output))


class KerasModel:
    """The Keras model through TensorFlow; called directly, since model.predict costs far more per call."""

    def __init__(self, path: str | Path, num_threads: int = 1) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf

        # Several workers on one machine must not each start a thread per core.
        try:
            tf.config.threading.set_intra_op_parallelism_threads(num_threads)
            tf.config.threading.set_inter_op_parallelism_threads(num_threads)
        except RuntimeError:
            pass  # TensorFlow was already initialised in this process; its thread pools stay as they are
        import keras

        self._model = keras.saving.load_model(str(path), compile=False)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.asarray(batch, dtype=np.float32).reshape(-1, 28, 28, 1)
        return np.asarray(self._model(batch, training=False))


class Gated:
    """A reader and a gate as one model: the reader's ten digit probabilities, scaled by the gate's probability
    that there is a digit at all, then the gate's "not a digit". The reader keeps its accuracy on digits; the
    gate, trained on things that are not digits as well, only decides whether to refuse."""

    def __init__(self, reader: Model, gate: Model) -> None:
        self.reader, self.gate = reader, gate

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        digits = np.asarray(self.reader(batch), dtype=np.float32)[:, :NOT_A_DIGIT]
        gate = np.asarray(self.gate(batch), dtype=np.float32)
        if gate.ndim != 2 or gate.shape[1] != NOT_A_DIGIT + 1:
            raise ModelNotReady("The gate model must answer eleven classes, the last one 'not a digit'.")
        not_a_digit = gate[:, NOT_A_DIGIT:]
        digits = digits / np.maximum(digits.sum(axis=1, keepdims=True), 1e-12)
        return np.concatenate([digits * (1 - not_a_digit), not_a_digit], axis=1)


def load_model(path: str | Path, backend: str = "litert", num_threads: int = 1, gate: bool = True) -> Model:
    """The model at `path`, with the gate beside it when there is one (and `gate` is true)."""
    path = Path(path)
    if backend not in BACKENDS:
        raise ValueError(f"unknown model backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if backend == "keras" and path.suffix == ".tflite":
        path = path.with_suffix(".keras")
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    model: Model = KerasModel(path, num_threads) if backend == "keras" else LiteRTModel(path, num_threads)
    if gate and gate_path(path) != path and gate_path(path).is_file():
        model = Gated(model, load_model(gate_path(path), backend, num_threads, gate=False))
    # Warm up: the first call allocates tensors (and traces, under Keras), so no request pays for it.
    model(np.zeros((1, 28, 28, 1), dtype=np.float32))
    return model


class ModelHolder:
    """Loads the model on first use, exactly once per process however many threads ask at once.

    Like flaskr's get_db(): nothing happens at import or app creation. `ready` is for health checks.
    """

    def __init__(self, loader: Callable[[], Model]) -> None:
        self._loader = loader
        self._model: Model | None = None
        self._lock = threading.Lock()
        self.error: str | None = None
        self.loads = 0

    @property
    def ready(self) -> bool:
        return self._model is not None

    def get(self) -> Model:
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                try:
                    self.loads += 1
                    self._model = self._loader()
                    self.error = None
                except Exception as exc:  # any failure to load means "not ready", never a crash
                    # The detail (paths included) goes to the operator's log, not to the client.
                    self.error = type(exc).__name__
                    log.error("model could not be loaded: %s: %s", type(exc).__name__, exc)
                    raise ModelNotReady("The model could not be loaded; try again later.") from exc
            return self._model

    def set(self, model: Model) -> None:
        """Put a model in place (tests inject a fake one this way)."""
        with self._lock:
            self._model = model
