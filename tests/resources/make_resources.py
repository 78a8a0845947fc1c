"""Regenerate the image fixtures in this folder from held-out MNIST digits (the last 10,000 of the
training split, never trained on). Run from the repo root: python tests/resources/make_resources.py [MNIST_DIR]
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from digitpred.mnist import validation_digits, write_idx
from digitpred.synth.render import Stroke, draw

HERE = Path(__file__).parent
SAMPLE = 200


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def main(mnist_dir: str = "../shared/data/mnist") -> None:
    images, labels = validation_digits(mnist_dir)
    rng = np.random.default_rng(2026)
    pick = np.sort(rng.choice(len(images), SAMPLE, replace=False))
    write_idx(HERE / "heldout-images-idx3-ubyte.gz", images[pick])
    write_idx(HERE / "heldout-labels-idx1-ubyte.gz", labels[pick])

    seven = images[pick][labels[pick] == 7][0]
    three = images[pick][labels[pick] == 3][0]
    # A black 7 on a white 280×280 canvas, as the page sends it.
    (HERE / "canvas-7.png").write_bytes(png(draw(seven, Stroke(190, (140, 140), 18))))
    # A small 3 in the top-left corner of a transparent canvas.
    (HERE / "small-offcentre-3.png").write_bytes(png(draw(three, Stroke(44, (50, 42), 5, background=(0, 0, 0, 0)))))
    # White ink on black.
    (HERE / "inverted-7.png").write_bytes(
        png(draw(seven, Stroke(150, (150, 130), 14, ink=(255, 255, 255, 255), background=(0, 0, 0, 255))))
    )
    # A blank canvas, and one that is uniformly grey.
    (HERE / "blank.png").write_bytes(png(Image.new("RGBA", (280, 280), (0, 0, 0, 0))))
    (HERE / "grey.jpg").write_bytes(_jpeg(Image.new("RGB", (200, 150), (128, 128, 128))))
    # A JPEG stored sideways with EXIF orientation 6 (rotate 90° clockwise to view), as phones do.
    upright = draw(seven, Stroke(300, (200, 250), 20), size=(400, 500)).convert("RGB")
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    (HERE / "exif-rotated-7.jpg").write_bytes(_jpeg(sideways, exif=exif))
    # Not images: text named .png, and a PNG cut short.
    (HERE / "not-an-image.png").write_bytes(b"hello, this is text and not a picture\n")
    (HERE / "truncated.png").write_bytes(png(draw(seven, Stroke(190, (140, 140), 18)))[:400])


def _jpeg(img: Image.Image, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90, **kwargs)
    return buf.getvalue()


if __name__ == "__main__":
    main(*sys.argv[1:])
