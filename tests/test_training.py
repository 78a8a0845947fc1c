from __future__ import annotations

import json

import numpy as np
import pytest

from digitpred.ml.model import load_model
from digitpred.mnist import load_mnist, read_idx, split, write_idx


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
            "--rendered-scan",
            "10",
            "--rendered-photo",
            "5",
            "--rendered-broken",
            "6",
            "--rendered-styles",
            "8",
            "--rendered-negatives",
            "8",
            "--cache",
            str(tmp_path / "cache"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "validation accuracy" in result.output
    meta = json.loads((out / "digitpred-cnn.json").read_text())
    # 150 training digits, plus 20 of them redrawn as canvas strokes, 10 as scans, 5 as photos, 6 in broken
    # strokes and 8 in other hands, and 8 things that are not digits (a redrawn digit can vanish); the 50 held out
    # are never used.
    assert 197 <= meta["training"]["digits"] <= 207 and meta["validation"]["digits"] == 50
    from digitpred.training.rendered import renders_digest

    # Named by the code that made them too: other synth or preprocessing code would render afresh.
    assert [p.name for p in (tmp_path / "cache").glob("rendered-20-*.npz")] == [
        f"rendered-20-seed1-of150-{renders_digest()}.npz"
    ]
    assert len(list((tmp_path / "cache").glob("rendered-scan-10-*.npz"))) == 1
    assert len(list((tmp_path / "cache").glob("rendered-photo-5-*.npz"))) == 1
    broken = np.load(next((tmp_path / "cache").glob("rendered-broken-6-*.npz")))
    assert set(broken["y"].tolist()) <= set(range(10)) and meta["training"]["rendered_broken"] == 6
    negatives = np.load(next((tmp_path / "cache").glob("rendered-negatives-8-*.npz")))
    assert set(negatives["y"].tolist()) == {10} and negatives["x"].shape[1:] == (28, 28)
    assert meta["classes"] == [*range(10), "not a digit"]
    model = load_model(out / "digitpred-cnn.tflite")
    probs = model(heldout[0][:4].astype(np.float32)[..., None] / 255)
    assert probs.shape == (4, 11)  # ten digits and "not a digit"

    # export converts a Keras model again, to a file that gives the same answers.
    again = tmp_path / "again.tflite"
    result = runner.invoke(args=["export", str(out / "digitpred-cnn.keras"), "--out", str(again)])
    assert result.exit_code == 0, result.output
    assert np.allclose(load_model(again)(heldout[0][:4].astype(np.float32)[..., None] / 255), probs, atol=1e-5)


def test_corrections_train_a_model_that_is_compared_with_the_shipped_one(config, fake_model, mnist_dir, tmp_path):
    """Corrections -> export-corrections -> train --extra -> evaluate --model shipped --model new, side by side."""
    pytest.importorskip("tensorflow", reason="training needs the [train] extra")
    import io

    from digitpred import create_app
    from digitpred.extensions import migrate
    from digitpred.ml.model import default_model_path
    from tests.helpers import canvas_png

    images, labels = read_idx(mnist_dir / "train-images-idx3-ubyte"), read_idx(mnist_dir / "train-labels-idx1-ubyte.gz")
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'feedback.sqlite'}"})
    app.extensions["digitpred"]["model"].set(fake_model)
    migrate.upgrade(app)
    client = app.test_client()
    for i in range(6):
        rv = client.post(
            "/api/corrections", data={"image": (io.BytesIO(canvas_png(images[i])), "d.png"), "label": str(labels[i])}
        )
        assert rv.status_code == 201
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export-corrections", str(tmp_path / "corrections")])
    assert "wrote 6 digits" in result.output, result.output

    out = tmp_path / "out"
    args = ["train", "--data", str(mnist_dir), "--out", str(out), "--epochs", "1", "--batch-size", "32"]
    args += ["--validation-size", "50", "--extra", str(tmp_path / "corrections"), "--extra-weight", "3"]
    result = runner.invoke(args=args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "added 6 extra digits" in result.output
    meta = json.loads((out / "digitpred-cnn.json").read_text())
    assert meta["training"]["digits"] == 156 and meta["training"]["extra"]["digits"] == 6
    assert meta["training"]["extra"]["weight"] == 3

    # the same held-out drawings for both models
    evalset = tmp_path / "evalset"
    for i in range(150, 200):
        (evalset / str(labels[i])).mkdir(parents=True, exist_ok=True)
        (evalset / str(labels[i]) / f"{i}.png").write_bytes(canvas_png(images[i]))
    shipped, new = str(default_model_path()), str(out / "digitpred-cnn.tflite")
    args = ["evaluate", str(evalset), "--model", shipped, "--model", new]
    args += ["--report", str(tmp_path / "r.html"), "--json", str(tmp_path / "c.json")]
    result = runner.invoke(args=args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"model A: {shipped}" in result.output and f"model B: {new}" in result.output
    figures = json.loads((tmp_path / "c.json").read_text())
    assert [f["model"] for f in figures] == [shipped, new]
    a, b = (f["figures"][0]["accuracy"] for f in figures)
    assert a >= 0.9  # the shipped model reads held-out drawings; a one-epoch model on 156 digits does worse
    row = next(line for line in result.output.splitlines() if line.startswith("evalset "))
    assert f"{a:.2%}" in row and f"{b:.2%}" in row and f"{(b - a) * 100:+.2f}pp" in row
    assert (tmp_path / "r-A.html").is_file() and (tmp_path / "r-B.html").is_file()

    result = runner.invoke(args=["evaluate", str(evalset), "--model", shipped, "--model", new, "--record"])
    assert result.exit_code != 0 and "--record" in result.output

    # fine-tuning the shipped model with the corrections, instead of training afresh
    tuned = tmp_path / "tuned"
    args = ["train", "--data", str(mnist_dir), "--out", str(tuned), "--epochs", "1", "--validation-size", "50"]
    args += ["--extra", str(tmp_path / "corrections"), "--init", str(default_model_path().with_suffix(".keras"))]
    result = runner.invoke(args=args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    meta = json.loads((tuned / "digitpred-cnn.json").read_text())
    base = meta["training"]["fine_tuned_from"]
    shipped_meta = json.loads(default_model_path().with_suffix(".json").read_text())
    assert base["path"].endswith("digitpred-cnn.keras") and base["version"] == shipped_meta["version"]
    # it starts from the shipped weights: held-out digits are still read well after one short epoch
    assert meta["validation"]["accuracy"] >= 0.9


def test_make_shapes_command_uses_the_training_digits_only(runner, mnist_dir, tmp_path, heldout):
    out = tmp_path / "shapes.npz"
    args = ["make-shapes", "--data", str(mnist_dir), "--out", str(out), "--validation-size", "50"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    images, labels = heldout[0][:150], heldout[1][:150]  # the last 50 are held out
    with np.load(out) as f:
        means, axes = f["means"], f["components"]
    assert axes.shape[:2] == (10, 20) and means.shape == (10, 784)
    for d in range(10):
        assert np.allclose(means[d], images[labels == d].mean(axis=0).ravel() / 255, atol=1e-3)


def test_a_ten_class_model_starts_an_eleven_class_one(tmp_path, heldout):
    """Fine-tuning the shipped ten-class model into one that also says "not a digit" keeps what it knew: the
    digit columns start as the old head, and the new column starts low."""
    pytest.importorskip("tensorflow", reason="training needs the [train] extra")
    from digitpred.training.train import build_model, start_from

    old = build_model(classes=10)
    old.save(tmp_path / "old.keras")
    new = build_model(classes=11)
    start_from(new, tmp_path / "old.keras")
    x = heldout[0][:16].astype(np.float32)[..., None] / 255
    before, after = old(x).numpy(), new(x).numpy()
    assert after.shape == (16, 11)
    assert (after[:, :10].argmax(axis=1) == before.argmax(axis=1)).all()
    assert (after[:, 10] < after[:, :10].max(axis=1)).all()


def test_a_fine_tune_keeps_the_width_of_the_model_it_starts_from(tmp_path):
    """--width is for training afresh: a fine-tune builds the architecture of its --init model, whatever --width."""
    pytest.importorskip("tensorflow", reason="training needs the [train] extra")
    from digitpred.training.train import build_model, width_of

    build_model(classes=10, width=8).save(tmp_path / "narrow.keras")
    assert width_of(tmp_path / "narrow.keras") == 8
