"""Training. TensorFlow is imported only by train.py, augment.py and export.py, never by serving."""
