"""Write scikit-learn's bundled 8×8 digits as a labelled folder for `flask evaluate`: an independent check.

    pip install scikit-learn && python scripts/sklearn_digits.py [--out eval-data/sklearn] [--scale 8]

The 1,797 digits come from 43 writers of the UCI set (32×32 NIST-style bitmaps counted in 4×4 blocks into
17 levels), none from MNIST. They are kept for evaluation only: never train or tune on them. Each digit is written
dark on white, enlarged by pixel repetition into OUT/nearest/<digit>/ and smoothly into OUT/bicubic/<digit>/.
scikit-learn is not a dependency of digitpred; only this script needs it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="eval-data/sklearn", type=Path)
    parser.add_argument("--scale", default=8, type=int, help="How many times to enlarge the 8×8 cells.")
    args = parser.parse_args()
    from sklearn.datasets import load_digits  # bundled with scikit-learn: nothing is downloaded

    digits = load_digits()
    for how, resample in (("nearest", Image.NEAREST), ("bicubic", Image.BICUBIC)):
        for i, (cells, label) in enumerate(zip(digits.images, digits.target, strict=True)):
            grey = np.clip(np.round(255 - cells * 255 / 16), 0, 255).astype(np.uint8)
            side = 8 * args.scale
            folder = args.out / how / str(int(label))
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(grey, "L").resize((side, side), resample).save(folder / f"{i:04d}.png")
        print(f"wrote {len(digits.target)} digits to {args.out / how}")


if __name__ == "__main__":
    main()
