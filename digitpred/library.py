"""The Python API: `digitpred.predict(x)` and `digitpred.predict_many(xs)` read a path, bytes, a PIL image or a
numpy array with the shipped model, in this process, without a Flask app. The command line and its Dask workers
call it too, so each process loads the model once, however many images it reads."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from digitpred.ml.errors import DigitpredError, InvalidImage, UnreadableFile
from digitpred.ml.model import Model, ModelHolder, default_model_path, load_model
from digitpred.ml.service import NumberReading, Prediction, Settings, read

Input = str | Path | bytes | bytearray | memoryview | Image.Image | np.ndarray
Result = Prediction | NumberReading

_holders: dict[str, ModelHolder] = {}
_holders_lock = threading.Lock()


def model(path: str | Path | None = None) -> ModelHolder:
    """This process's one holder of the model at `path` (the shipped model by default): loaded on first use."""
    key = str(path or default_model_path())
    with _holders_lock:
        if key not in _holders:
            _holders[key] = ModelHolder(lambda: load_model(key))
        return _holders[key]


def to_bytes(x: Input) -> bytes:
    """Image bytes for the service. Arrays are greyscale (H×W) or colour (H×W×3 or 4), as uint8 or as floats from
    0 to 1; PIL images and arrays travel as uncompressed BMP, which costs next to nothing to write."""
    if isinstance(x, (bytes, bytearray, memoryview)):
        return bytes(x)
    if isinstance(x, (str, Path)):
        try:
            return Path(x).read_bytes()
        except OSError as e:
            raise UnreadableFile(f"{x}: {e.strerror or e}") from e
    if isinstance(x, np.ndarray):
        x = array_image(x)
    if isinstance(x, Image.Image):
        if x.mode not in ("L", "RGB", "RGBA"):
            x = x.convert("RGBA" if "A" in x.getbands() else "RGB")
        buf = io.BytesIO()
        x.save(buf, format="PNG" if x.mode == "RGBA" else "BMP", compress_level=0)
        return buf.getvalue()
    raise TypeError(f"cannot read a {type(x).__name__}: give a path, bytes, a PIL image or a numpy array")


def array_image(a: np.ndarray) -> Image.Image:
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or a.size == 0:
        raise InvalidImage(f"An array of shape {a.shape} is not an image: give H×W, H×W×3 or H×W×4.")
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise InvalidImage("The array holds NaN or infinite values.")
        scale = 255.0 if a.max(initial=0) <= 1.0 else 1.0
        a = np.clip(np.round(a * scale), 0, 255).astype(np.uint8)
    elif a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(a))


def predict(
    x: Input,
    mode: str = "digit",
    *,
    model_path: str | Path | None = None,
    settings: Settings | None = None,
) -> Result:
    """Read one image as `mode` ("digit" or "number"): the Prediction or NumberReading that the web API
    serialises (`.to_dict()`). Raises a DigitpredError (NoDigit, NotADigit, InvalidImage, ...) when it cannot."""
    data = to_bytes(x)
    return read(data, mode, model(model_path), settings or Settings())


def predict_many(
    xs: Iterable[Input],
    mode: str = "digit",
    *,
    model_path: str | Path | None = None,
    settings: Settings | None = None,
    errors: Literal["raise", "return"] = "raise",
) -> Iterator[Result | DigitpredError]:
    """Read each image in turn, lazily: one result per input, in order, holding one image at a time. With
    errors="return", an image that cannot be read yields its DigitpredError in its place instead of stopping."""
    holder, settings = model(model_path), settings or Settings()
    for x in xs:
        try:
            yield read(to_bytes(x), mode, holder, settings)
        except DigitpredError as e:
            if errors == "raise":
                raise
            yield e


def loaded_model(model_path: str | Path | None = None) -> Model:
    """The model itself (loading it now): for a worker that wants to fail early rather than on its first image."""
    return model(model_path).get()
