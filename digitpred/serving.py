"""The serving core (digitpred.ml) tied to an app: the model file, its lazy ModelHolder and the service's Settings,
read from the app's config and kept in app.extensions["digitpred"]. Routes reach them through `ml`
(digitpred/extensions.py)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from flask import Flask, current_app

from digitpred import metrics
from digitpred.ml.model import Model, ModelHolder, default_model_path, gate_path, load_model, read_metadata
from digitpred.ml.service import Settings


class ML:
    """Ties the serving core to an app: a lazy ModelHolder and settings in app.extensions["digitpred"]."""

    def init_app(self, app: Flask) -> None:
        path = app.config["MODEL_PATH"] or default_model_path()
        backend = app.config["MODEL_BACKEND"]
        threads = int(app.config["MODEL_THREADS"])

        def load() -> Model:
            started = time.perf_counter()
            model = load_model(path, backend, threads)
            metrics.model_loaded(app, time.perf_counter() - started)
            return model

        holder = ModelHolder(load)
        app.extensions.setdefault("digitpred", {}).update(
            model=holder,
            model_path=str(path),
            backend=backend,
            metadata=read_metadata(path),
            # The gate beside the reader, when there is one: it answers "not a digit" (digitpred/ml/model.py).
            gate_metadata=read_metadata(gate_path(path)) if gate_path(path).is_file() else None,
            settings=Settings(
                max_pixels=int(app.config["MAX_IMAGE_PIXELS"]),
                max_side=int(app.config["MAX_IMAGE_SIDE"]),
                min_side=int(app.config["MIN_IMAGE_SIDE"]),
                max_frames=int(app.config["MAX_FRAMES"]),
                uncertain_below=float(app.config["UNCERTAIN_BELOW"]),
                not_a_digit_above=float(app.config["NOT_A_DIGIT_ABOVE"]),
                mark_not_a_digit_above=float(app.config["MARK_NOT_A_DIGIT_ABOVE"]),
                batch_workers=max(1, int(app.config["BATCH_WORKERS"])),
            ),
        )
        if not Path(path).is_file():
            # The app still starts and answers 503 for predictions; the operator learns why here.
            app.logger.error("no model file at %s: predictions will answer 503 until one is there", path)
        elif app.config["PRELOAD_MODEL"]:
            holder.get()

    @property
    def state(self) -> dict:
        return current_app.extensions["digitpred"]

    @property
    def holder(self) -> ModelHolder:
        return self.state["model"]

    def model(self) -> Model:
        """The loaded model, loading it on first use (raises ModelNotReady if it cannot be)."""
        return self.holder.get()

    @property
    def settings(self) -> Settings:
        return self.state["settings"]

    def file_sha256(self) -> str | None:
        """The served file's digest, computed once: it proves which bytes answer, whatever the metadata says."""
        state = self.state
        if "sha256" not in state:
            try:
                state["sha256"] = hashlib.sha256(Path(state["model_path"]).read_bytes()).hexdigest()
            except OSError:
                return None
        return state["sha256"]
