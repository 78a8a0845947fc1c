"""The usual tutorial way, as a baseline: Keras load_model at import, a whole-image resize, and
model.predict on every request. Same model file as digitpred. Not part of the package."""

from __future__ import annotations

import io
import os

import numpy as np
from flask import Flask, jsonify, request
from PIL import Image
from tensorflow import keras

app = Flask(__name__)
model = keras.models.load_model(os.environ["BASELINE_MODEL"])


@app.route("/predict", methods=["POST"])
def predict():
    data = request.files["image"].read() if "image" in request.files else request.get_data()
    img = Image.open(io.BytesIO(data)).convert("L").resize((28, 28))
    x = np.array(img).astype("float32") / 255.0
    if x.mean() > 0.5:  # dark ink on white paper: invert to MNIST's white on black
        x = 1.0 - x
    probs = model.predict(x.reshape(1, 28, 28, 1))
    return jsonify({"digit": int(np.argmax(probs)), "confidence": float(np.max(probs))})


@app.route("/health")
def health():
    return jsonify({"status": "ok"})
