"""The evaluation-set generators: same seed, same set; and each kind makes what its name promises."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from digitpred.ml.preprocess import block_side
from digitpred.synth.evalsets import KINDS, SEEDS, generate, tiny


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_set(tmp_path, heldout, kind):
    images, labels = heldout[0][:3], heldout[1][:3]
    assert generate(kind, images, labels, tmp_path / "a", seed=5) == 3
    generate(kind, images, labels, tmp_path / "b", seed=5)
    first = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    folders = ["not-a-digit"] * 3 if kind == "nondigits" else [str(label) for label in sorted(labels)]
    assert [p.parts[0] for p in first] == folders
    for path in first:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes()


def test_each_set_has_its_own_seed():
    assert len(set(SEEDS.values())) == len(SEEDS) and set(KINDS) <= set(SEEDS)


def test_tiny_scans_fill_a_frame_of_a_few_cells(heldout):
    rng = np.random.default_rng(3)
    blocky = 0
    for digit in heldout[0][:30]:
        data, ext = tiny(digit, rng)
        grey = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.int16)
        side = block_side(grey)
        blocky += side > 1
        if side > 1:
            assert 8 <= grey.shape[0] // side <= 16
        # The digit spans nearly the whole frame one way or the other, as a NIST-style bitmap does.
        background = np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]]))
        ys, xs = np.nonzero(np.abs(grey - background) > 60)
        assert max(np.ptp(ys), np.ptp(xs)) >= 0.6 * grey.shape[0]
    assert 5 <= blocky <= 25  # both blocky and smooth enlargements occur


@pytest.mark.parametrize("lines", ["ruled", "squared"])
def test_notebook_lines_are_printed_on_the_paper(heldout, lines):
    from digitpred.synth.evalsets import _notebook_lines, photo

    light = _notebook_lines(lines, (300, 400), 100.0, np.random.default_rng(4)).min(axis=2)
    assert light.shape == (400, 300) and light.max() == 1.0 and 0.5 < light.min() < 0.9
    rows, cols = (light < 0.95).mean(axis=1), (light < 0.95).mean(axis=0)
    assert rows.max() == 1.0  # a line runs right across the page...
    assert (cols.max() == 1.0) == (lines == "squared")  # ...and, on squared paper, right down it
    assert 2 <= np.count_nonzero(np.diff((rows == 1.0).astype(int)) == 1) <= 8  # spaced like a notebook's

    data, ext = photo(heldout[0][0], np.random.default_rng(4), size=(300, 400), lines=lines)
    img = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    assert ext == "jpg" and img.size == (300, 400)


def test_styles_and_non_digits_are_made_by_makers_training_never_uses():
    """The held-out non-digits come from other fonts and other doodles than training's."""
    from digitpred.synth import negatives

    assert not set(negatives.TRAIN_DOODLES) & set(negatives.HELD_OUT_DOODLES)
    assert not set(negatives.fonts(negatives.TRAIN_FONTS)) & set(negatives.fonts(negatives.HELD_OUT_FONTS))
    kept_for_checks = ("dkg", "bwht", "breip", "humor", "sj")
    assert not any(k in f.lower() for f in negatives.fonts(negatives.TRAIN_FONTS) for k in kept_for_checks)
    assert not set(negatives.LETTERS) & negatives.LOOKALIKES


@pytest.mark.parametrize("label", [0, 1, 2, 3, 4, 5, 7, 9])
def test_every_stroke_program_draws_a_readable_field(label):
    """Each style's drawing survives preprocessing as one digit-sized field."""
    from digitpred.ml.preprocess import preprocess
    from digitpred.synth.styles import PROGRAMS, styled

    assert label in PROGRAMS
    field = preprocess(styled(label, np.random.default_rng(label)))
    assert field.shape == (28, 28) and 0.03 < field.mean() < 0.4
