"""The serving core: pure functions and the model, with no Flask import and no TensorFlow import."""
