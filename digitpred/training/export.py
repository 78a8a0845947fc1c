"""Keras model -> LiteRT flatbuffer, the file that serving runs."""

from __future__ import annotations

from pathlib import Path


def export_litert(model, path: str | Path) -> Path:
    """Export with a dynamic batch dimension, so one forward pass can take a whole batch."""
    import keras

    path = Path(path)
    spec = keras.InputSpec(shape=(None, 28, 28, 1), dtype="float32")
    model.export(str(path), format="litert", input_signature=[spec], verbose=False)
    return path
