"""How much a 28×28 field looks like a whole digit of each class: the share of its ink that the class's usual
shapes leave unexplained.

The model reads anything as some digit, and often surely: two touching 7s as one 7, an 8 with a 1 stuck to it
as an 8. Each class's shapes span a small space (the mean and first principal components of training digits of
that class); a whole digit lies close to its class's space, two digits squeezed into one field or a digit with a
stray stroke far from every class's. Segmentation weighs this when it decides where digits split.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

SHAPES_PATH = Path(__file__).with_name("digit-shapes.npz")
# Principal components kept per class: with twenty, whole digits and two digits run together stand further
# apart than with ten, and hardly closer with thirty.
COMPONENTS = 20


def digit_shapes(images: np.ndarray, labels: np.ndarray, components: int = COMPONENTS) -> dict[str, np.ndarray]:
    """Training digits (N×28×28 uint8) -> each class's mean field and principal components (float16)."""
    fields = images.reshape(len(images), -1).astype(np.float64) / 255.0
    means, axes = [], []
    for digit in range(10):
        own = fields[labels == digit]
        mean = own.mean(axis=0)
        _, _, vt = np.linalg.svd(own - mean, full_matrices=False)
        means.append(mean)
        # A class with fewer digits than axes (a small test set) has no more directions: the rest stay zero.
        axes.append(np.zeros((components, fields.shape[1])))
        axes[-1][: len(vt[:components])] = vt[:components]
    return {"means": np.array(means, np.float16), "components": np.array(axes, np.float16)}


def write_shapes(images: np.ndarray, labels: np.ndarray, path: str | Path = SHAPES_PATH) -> Path:
    np.savez_compressed(path, **digit_shapes(images, labels))
    return Path(path)


@cache
def _shapes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.load(SHAPES_PATH) as f:
        means = f["means"].astype(np.float32)  # 10×784
        axes = f["components"].astype(np.float32)  # 10×K×784
    # One product gives each field's dot with every class's mean and its coordinates on every class's axes.
    basis = np.ascontiguousarray(np.concatenate([means, axes.reshape(-1, axes.shape[2])]).T)
    # Each class's mean: its squared length, and its coordinates on its own axes.
    return basis, (means * means).sum(axis=1), np.einsum("dp,dkp->dk", means, axes)


def misfit(fields: np.ndarray) -> np.ndarray:
    """N×28×28 fields -> N×10: the share of each field's squared ink outside each class's shape space."""
    basis, mean_norm, mean_coef = _shapes()
    x = fields.reshape(len(fields), -1).astype(np.float32)
    # Two fields at a time: a product this small runs on the calling thread, where a larger one wakes BLAS's
    # thread pool, which costs more than the product (and on a busy machine far more).
    product = np.concatenate([x[i : i + 2] @ basis for i in range(0, len(x), 2)])
    norm = np.maximum((x * x).sum(axis=1), 1e-6)
    # |x - m|² less its part along the class's (orthonormal) axes: what the class's shapes leave unexplained.
    centred = norm[:, None] - 2.0 * product[:, :10] + mean_norm[None, :]
    coef = product[:, 10:].reshape(len(x), 10, -1) - mean_coef[None]
    residual = np.maximum(centred - (coef * coef).sum(axis=2), 0.0)
    return residual / norm[:, None]
