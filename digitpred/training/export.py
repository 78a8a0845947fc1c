"""Keras model -> LiteRT flatbuffer, the file that serving runs."""

from __future__ import annotations

from pathlib import Path


def export_litert(model, path: str | Path, quantize: bool = True) -> Path:
    """Export with a dynamic batch dimension, so one forward pass can take a whole batch.

    quantize: dynamic-range quantization, weights stored as int8 and activations quantized per call. XNNPACK then
    runs the convolutions in int8: about four times faster on a CPU core (bench/run.py's forward-pass line) and a
    quarter of the file, for the same readings to within a few hundredths of a point (the README's table).
    """
    import tensorflow as tf

    path = Path(path)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]  # no representative data: dynamic range
    path.write_bytes(converter.convert())
    return path
