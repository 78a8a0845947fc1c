"""The MNIST data format: IDX files in and out, and the held-out split. No TensorFlow and no Flask: training,
synthesis, evaluation and the corrections export all read or write it."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

IMAGES = "train-images-idx3-ubyte"
LABELS = "train-labels-idx1-ubyte"
VALIDATION_SIZE = 10_000
DEFAULT_DATA = "../shared/data/mnist"  # where the commands look for the training split unless told

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file, gzipped or not (the magic number says which dtype and how many dims)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise ValueError(f"{path} is not an IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=_DTYPES[data[2]], offset=4 + 4 * ndim)
    expected = int(np.prod(dims))
    if arr.size != expected:
        raise ValueError(f"{path}: header says {expected} values, file holds {arr.size}")
    return arr.reshape(dims)


def write_idx(path: str | Path, arr: np.ndarray) -> None:
    """Write uint8 IDX (gzipped when the name ends in .gz); used for test fixtures and exports."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(header + arr.tobytes())


def _find(directory: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx") + ".gz", stem.replace("-idx", ".idx")):
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(f"no {stem}[.gz] in {directory}")


def load_mnist(directory: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The 60,000 training digits (uint8, N×28×28) and their labels."""
    directory = Path(directory)
    images = read_idx(_find(directory, IMAGES))
    labels = read_idx(_find(directory, LABELS))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"images {images.shape} and labels {labels.shape} do not match")
    return images, labels.astype(np.int64)


def split(
    images: np.ndarray, labels: np.ndarray, validation_size: int = VALIDATION_SIZE
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Train on all but the last `validation_size` digits; those are never trained on."""
    if not 0 < validation_size < len(images):
        raise ValueError("validation_size must leave digits for both sides")
    cut = len(images) - validation_size
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


def validation_digits(directory: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The held-out digits alone: what evaluation sets are built from."""
    return split(*load_mnist(directory))[1]
