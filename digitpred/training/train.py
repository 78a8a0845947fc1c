"""Train the digit CNN on the MNIST training split, holding out the last 10,000 digits."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from digitpred.mnist import VALIDATION_SIZE, load_mnist, split

MODEL_NAME = "digitpred-cnn"


def build_model(classes: int = 11, width: int = 32):
    """A small VGG-style CNN of `width`, 2×`width` and 4×`width` filters: at 32, about 0.14M weights, 0.15 MB as
    int8 LiteRT. Ten digits and, as the eleventh class, everything that is not a digit."""
    import keras
    from keras import layers

    def block(x, filters):
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
        return layers.MaxPooling2D()(x)

    inputs = keras.Input((28, 28, 1), name="image")
    x = block(inputs, width)
    x = block(x, 2 * width)
    x = layers.Conv2D(4 * width, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=MODEL_NAME)


def _loaded(init):
    """A saved Keras model (a path), loaded; a model already loaded, as it is."""
    import keras

    return keras.saving.load_model(init, compile=False) if isinstance(init, str | Path) else init


def start_from(model, init) -> None:
    """Copy a trained model's weights (a path or a loaded model) into `model`. A ten-class model's head goes into
    the first ten columns of an eleven-class head; the not-a-digit column starts from small weights and a low
    bias."""
    for target, source in zip(model.weights, _loaded(init).weights, strict=True):
        value = source.numpy()
        if tuple(target.shape) != value.shape and target.shape[-1] < value.shape[-1]:
            value = value[..., : target.shape[-1]]  # an eleven-class head into a ten-class one: the digits
        elif tuple(target.shape) != value.shape:
            fresh = target.numpy() * 0.1
            if fresh.ndim == 1:
                fresh[:] = -2.0
            fresh[..., : value.shape[-1]] = value
            value = fresh
        target.assign(value)


def width_of(init) -> int:
    """The filters of a model's first convolution (a path or a loaded model): the `width` it was built with."""
    import keras

    layers = _loaded(init).layers
    return int(next(layer for layer in layers if isinstance(layer, keras.layers.Conv2D)).filters)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _base(init: str | Path | None) -> dict | None:
    """The model a fine-tune started from, by its version where its metadata is beside it: a path alone
    would name whatever model lies there later."""
    if not init:
        return None
    base = {"path": str(init)}
    try:
        meta = json.loads(Path(init).with_suffix(".json").read_text())
        base.update(version=meta["version"], keras_sha256=meta["files"]["keras"]["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return base


def train(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    epochs: int = 15,
    batch_size: int = 128,
    seed: int = 1,
    limit: int | None = None,
    validation_size: int = VALIDATION_SIZE,
    rendered: int = 0,
    rendered_scan: int = 0,
    rendered_photo: int = 0,
    rendered_tiny: int = 0,
    rendered_broken: int = 0,
    rendered_styles: int = 0,
    rendered_negatives: int = 0,
    cache_dir: str | Path | None = None,
    extra: list[str | Path] | tuple = (),
    extra_weight: float = 1.0,
    init: str | Path | None = None,
    name: str = MODEL_NAME,
    width: int = 32,
    log: Callable[[str], None] = print,
) -> dict:
    """Train, then write <name>.keras, <name>.tflite and <name>.json into out_dir; return the metadata.

    `limit` trains on the first `limit` training digits only (for smoke tests). `rendered` adds that many
    training digits redrawn as canvas strokes and put through the serving pipeline (cached in cache_dir);
    `rendered_scan`, `rendered_photo` and `rendered_tiny` as many made into low-resolution scans, phone photos of
    paper and frame-filling scans of a few cells a side, `rendered_broken` as many canvas drawings with pen lifts;
    `rendered_styles` as many drawn in other hands (flagged 1s,
    crossed 7s, open 4s, ...) and `rendered_negatives` things that are not digits (class 10).
    `extra` adds every digit of those IDX folders (e.g. people's corrections, `flask export-corrections`), each counting
    `extra_weight` times as much as a training digit in the loss; none of them is held out. `init` fine-tunes that
    Keras model (same architecture) instead of starting afresh, at a tenth of the learning rate. `name` names the
    files: digitpred-cnn for the reader, digitpred-gate for the gate that refuses what is not a digit.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    from digitpred.training.augment import augment
    from digitpred.training.export import export_litert

    keras.utils.set_random_seed(seed)
    images, labels = load_mnist(data_dir)
    (x_train, y_train), (x_val, y_val) = split(images, labels, validation_size)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    x_train_raw, y_train_raw = x_train, y_train
    x_train = (x_train.astype(np.float32) / 255.0)[..., None]
    x_val = (x_val.astype(np.float32) / 255.0)[..., None]
    counts = {
        "canvas": rendered,
        "scan": rendered_scan,
        "photo": rendered_photo,
        "tiny": rendered_tiny,
        "broken": rendered_broken,
        "styles": rendered_styles,
        "negatives": rendered_negatives,
    }
    for kind, count in counts.items():
        if not count:
            continue
        from digitpred.training.rendered import render_set, renders_digest

        pick = np.random.default_rng(seed).choice(len(x_train_raw), min(count, len(x_train_raw)), replace=False)
        stem = "rendered" if kind == "canvas" else f"rendered-{kind}"
        cached = f"{stem}-{len(pick)}-seed{seed}-of{len(x_train_raw)}-{renders_digest()}.npz"
        cache = Path(cache_dir) / cached if cache_dir else None
        xr, yr = render_set(x_train_raw[pick], y_train_raw[pick], seed, cache, kind=kind)
        log(f"added {len(xr)} training digits redrawn as {kind} images and preprocessed")
        x_train = np.concatenate([x_train, xr[..., None]])
        y_train = np.concatenate([y_train, yr])
    weights = np.ones(len(x_train), dtype=np.float32)
    extra_digits = 0
    for source in extra:
        xe, ye = load_mnist(source)
        log(f"added {len(xe)} extra digits from {source}, weight {extra_weight:g}")
        x_train = np.concatenate([x_train, (xe.astype(np.float32) / 255.0)[..., None]])
        y_train = np.concatenate([y_train, ye])
        weights = np.concatenate([weights, np.full(len(xe), extra_weight, dtype=np.float32)])
        extra_digits += len(xe)
    log(f"training on {len(x_train)} digits, validating on {len(x_val)} held-out digits")

    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train, weights))
        .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .map(lambda x, y, w: (augment(x), y, w), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(512)

    # The eleventh class, "not a digit", only where there are things that are not digits to learn it from.
    base = _loaded(init) if init else None  # loaded once, for its width and its weights
    if base is not None:
        width = width_of(base)  # a fine-tune keeps the architecture of the model it starts from
    model = build_model(classes=11 if rendered_negatives else 10, width=width)
    steps = epochs * int(np.ceil(len(x_train) / batch_size))
    if base is not None:
        start_from(model, base)
        log(f"fine-tuning {init}")
        schedule = keras.optimizers.schedules.CosineDecay(3e-4, decay_steps=steps)
    else:
        schedule = keras.optimizers.schedules.CosineDecay(
            1e-3, decay_steps=steps, warmup_target=3e-3, warmup_steps=max(1, steps // 10)
        )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    started = time.time()
    history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=2)
    seconds = time.time() - started

    probs = model.predict(x_val, batch_size=512, verbose=0)
    val_accuracy = float(np.mean(probs.argmax(axis=1) == y_val))
    log(f"validation accuracy {val_accuracy:.4%} after {seconds:.0f} s")

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keras_path = out_dir / f"{name}.keras"
    tflite_path = out_dir / f"{name}.tflite"
    model.save(keras_path)
    export_litert(model, tflite_path)

    meta = {
        "name": name,
        "version": dt.datetime.now(dt.timezone.utc).strftime("%Y.%m.%d.%H%M"),
        "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "input_shape": [28, 28, 1],
        "classes": [*range(10), "not a digit"] if rendered_negatives else list(range(10)),
        "parameters": int(model.count_params()),
        "training": {
            "data": "MNIST training split, first 50,000 digits, with augmentation"
            + "".join(
                f", plus {count:,} of them redrawn as {kind} images through the serving pipeline"
                for kind, count in counts.items()
                if count and kind in ("canvas", "scan", "photo", "tiny", "broken")
            )
            + (f", plus {rendered_styles:,} digits drawn in other hands" if rendered_styles else "")
            + (f", plus {rendered_negatives:,} things that are not digits" if rendered_negatives else "")
            + (f", plus {extra_digits:,} extra digits (corrections) weighted {extra_weight:g}" if extra_digits else ""),
            "digits": int(len(x_train)),
            "rendered": int(rendered),
            "rendered_scan": int(rendered_scan),
            "rendered_photo": int(rendered_photo),
            "rendered_tiny": int(rendered_tiny),
            "rendered_broken": int(rendered_broken),
            "rendered_styles": int(rendered_styles),
            "rendered_negatives": int(rendered_negatives),
            "extra": {"digits": int(extra_digits), "weight": extra_weight, "sources": [str(s) for s in extra]},
            "fine_tuned_from": _base(init),
            "epochs": epochs,
            "batch_size": batch_size,
            "seed": seed,
            "width": width,
            "seconds": round(seconds, 1),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "final_loss": round(float(history.history["loss"][-1]), 5),
        },
        "validation": {
            "data": f"MNIST training split, last {len(x_val):,} digits, never trained on",
            "digits": int(len(x_val)),
            "accuracy": round(val_accuracy, 5),
        },
        "files": {
            "tflite": {"name": tflite_path.name, "sha256": sha256(tflite_path)},
            "keras": {"name": keras_path.name, "sha256": sha256(keras_path)},
        },
    }
    (out_dir / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta
