from __future__ import annotations

import json

import numpy as np
import pytest

from digitpred.ml.model import load_model
from digitpred.ml.training.data import load_mnist, read_idx, split, write_idx


def test_idx_round_trip(tmp_path, heldout):
    images, labels = heldout
    for suffix in ("", ".gz"):
        write_idx(tmp_path / f"x{suffix}", images)
        assert np.array_equal(read_idx(tmp_path / f"x{suffix}"), images)


def test_idx_rejects_other_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x89PNG not idx")
    with pytest.raises(ValueError):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 9, 1, 2]))
    with pytest.raises(ValueError):
        read_idx(tmp_path / "short")


def test_split_holds_out_the_last_digits(heldout):
    images, labels = heldout
    (xt, yt), (xv, yv) = split(images, labels, 50)
    assert len(xt) == 150 and len(xv) == 50
    assert np.array_equal(xv, images[-50:])


@pytest.fixture
def mnist_dir(tmp_path, heldout):
    images, labels = heldout
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    return tmp_path


def test_load_mnist_gzipped_or_not(mnist_dir, heldout):
    images, labels = load_mnist(mnist_dir)
    assert np.array_equal(images, heldout[0]) and np.array_equal(labels, heldout[1])


def test_train_command_writes_a_servable_model(runner, mnist_dir, tmp_path, heldout):
    pytest.importorskip("tensorflow", reason="training needs the [train] extra")
    out = tmp_path / "out"
    result = runner.invoke(
        args=[
            "train",
            "--data",
            str(mnist_dir),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--batch-size",
            "32",
            "--validation-size",
            "50",
            "--rendered",
            "20",
            "--cache",
            str(tmp_path / "cache"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "validation accuracy" in result.output
    meta = json.loads((out / "digitpred-cnn.json").read_text())
    # 150 training digits, plus 20 of them redrawn as canvas strokes; the 50 held out are never used.
    assert meta["training"]["digits"] == 170 and meta["validation"]["digits"] == 50
    assert len(list((tmp_path / "cache").glob("rendered-20-*.npz"))) == 1
    model = load_model(out / "digitpred-cnn.tflite")
    probs = model(heldout[0][:4].astype(np.float32)[..., None] / 255)
    assert probs.shape == (4, 10)

    # export converts a Keras model again, to a file that gives the same answers.
    again = tmp_path / "again.tflite"
    result = runner.invoke(args=["export", str(out / "digitpred-cnn.keras"), "--out", str(again)])
    assert result.exit_code == 0, result.output
    assert np.allclose(load_model(again)(heldout[0][:4].astype(np.float32)[..., None] / 255), probs, atol=1e-5)
