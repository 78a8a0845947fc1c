"""The Python API, on the shipped model: digitpred.predict and predict_many over every kind of input."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import digitpred
from digitpred.ml.errors import DigitpredError, InvalidImage, NoDigit, UnreadableFile
from digitpred.ml.service import NumberReading, Prediction
from tests.helpers import RESOURCES, resource


def seven() -> Image.Image:
    return Image.open(io.BytesIO(resource("canvas-7.png")))


@pytest.mark.parametrize(
    "make",
    [
        lambda: str(RESOURCES / "canvas-7.png"),
        lambda: RESOURCES / "canvas-7.png",
        lambda: resource("canvas-7.png"),
        lambda: bytearray(resource("canvas-7.png")),
        seven,
        lambda: seven().convert("P"),
        lambda: np.asarray(seven().convert("L")),  # uint8, H×W
        lambda: np.asarray(seven().convert("L"), dtype=np.float32) / 255,  # floats from 0 to 1
        lambda: np.asarray(seven().convert("RGB")),  # H×W×3
        lambda: np.asarray(seven().convert("L"))[..., None],  # H×W×1
        lambda: np.asarray(seven().convert("L")) < 128,  # bool: the ink is True
    ],
    ids=["str", "path", "bytes", "bytearray", "pil", "pil-palette", "uint8", "float", "rgb", "hw1", "bool"],
)
def test_predict_reads_every_kind_of_input(make):
    result = digitpred.predict(make())
    assert isinstance(result, Prediction)
    assert result.digit == 7 and result.confidence > 0.9
    body = result.to_dict()
    assert body["digit"] == 7 and body["input"].startswith("data:image/png;base64,")


def test_predict_a_number():
    row = Image.new("L", (600, 200), 255)
    for x in (0, 250):
        row.paste(seven().convert("L").resize((200, 200)), (x, 0))
    result = digitpred.predict(row, mode="number")
    assert isinstance(result, NumberReading)
    assert result.number == "77"
    assert json.dumps(result.to_dict())


def test_predict_raises_typed_errors(tmp_path):
    with pytest.raises(NoDigit):
        digitpred.predict(Image.new("L", (100, 100), 255))
    with pytest.raises(InvalidImage):
        digitpred.predict(b"not an image")
    with pytest.raises(InvalidImage):
        digitpred.predict(np.zeros((4, 4, 7), dtype=np.uint8))
    with pytest.raises(InvalidImage):
        digitpred.predict(np.full((40, 40), np.nan))
    with pytest.raises(UnreadableFile):
        digitpred.predict(tmp_path / "missing.png")
    with pytest.raises(TypeError):
        digitpred.predict(42)


def test_predict_many_streams_in_order():
    taken = []

    def inputs():
        for x in (resource("canvas-7.png"), b"junk", resource("inverted-7.png")):
            taken.append(x)
            yield x

    results = digitpred.predict_many(inputs(), errors="return")
    first = next(results)
    assert first.digit == 7 and len(taken) == 1  # nothing read ahead: one image at a time
    rest = list(results)
    assert isinstance(rest[0], InvalidImage) and rest[0].code == "invalid_image"
    assert rest[1].digit == 7


def test_predict_many_raises_by_default():
    with pytest.raises(DigitpredError):
        list(digitpred.predict_many([b"junk"]))


def test_importing_digitpred_for_predictions_loads_no_flask():
    code = (
        "import sys, digitpred; r = digitpred.predict(sys.argv[1]); "
        "print(r.digit, 'flask' in sys.modules, 'tensorflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(RESOURCES / "canvas-7.png")], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["7", "False", "False"]


def test_the_package_is_typed():
    from importlib.resources import files

    assert files("digitpred").joinpath("py.typed").is_file()
