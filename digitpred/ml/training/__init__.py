"""Training with TensorFlow/Keras. Imported only by the `train` and `export` commands, never by serving."""
