"""The hostile-input corpus: files a public upload endpoint meets, made here rather than downloaded.

    python tests/resources/make_bad_inputs.py        # writes the small ones into tests/resources/bad/

`hostile()` gives the files the service must refuse, `odd()` the valid but unusual ones it must read, each
drawn from a held-out digit. The large ones (a 50,000×50,000 PNG bomb, a 1,000-frame GIF) are only made in
memory by the tests: `big()`.
"""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from digitpred.mnist import read_idx  # noqa: E402
from digitpred.synth.render import Stroke, draw  # noqa: E402

OUT = HERE / "bad"
# The held-out digit the odd images are drawn from: its index among tests/resources' 200 and its label.
DIGIT_INDEX = 3


def heldout_digit() -> tuple[np.ndarray, int]:
    images = read_idx(HERE / "heldout-images-idx3-ubyte.gz")
    labels = read_idx(HERE / "heldout-labels-idx1-ubyte.gz")
    return images[DIGIT_INDEX], int(labels[DIGIT_INDEX])


def _save(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_raw(width: int, height: int, depth: int, colour: int, rows) -> bytes:
    """A PNG written by hand, for what Pillow will not write (16 bits per channel, a bomb's header)."""
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for row in rows) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def hostile(digit: np.ndarray) -> dict[str, bytes]:
    """Files that must each be refused with a 4xx, named as a client would name them."""
    canvas = draw(digit, Stroke(190, (140, 140), 18))
    png = _save(canvas, "PNG")
    jpeg = _save(canvas.convert("RGB"), "JPEG", quality=90)
    return {
        "empty.png": b"",
        "truncated.png": png[: len(png) // 3],
        "truncated.jpg": jpeg[: len(jpeg) // 2],
        "text.png": b"hello, this is text and not a picture\n",
        "page.png": b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n",
        "script.svg": (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><script>alert(1)</script>'
            b'<text x="4" y="24">7</text></svg>\n'
        ),
        "document.pdf": (
            b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        ),
        "one-pixel.png": _save(Image.new("L", (1, 1), 0), "PNG"),
        "strip.png": _save(Image.new("1", (100_000, 1), 1), "PNG"),
    }


def big() -> dict[str, bytes]:
    """Large hostile files, made in memory: a 50,000×50,000 one-bit PNG (2.5 gigapixels from about 300 KB)
    and an animated GIF of 1,000 frames."""
    row = b"\0" * (50_000 // 8 + 1)  # filter byte, then 6,250 bytes of black
    bomb = png_raw(50_000, 50_000, 1, 0, (row * 1000 for _ in range(50)))
    frames = [Image.new("L", (32, 32), i % 256) for i in range(1000)]
    frames[0].paste(255, (4, 4, 8, 8))
    gif = _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=20, loop=0)
    return {"bomb.png": bomb, "frames.gif": gif}


def odd(digit: np.ndarray) -> dict[str, bytes]:
    """Valid images in unusual modes, every one of the same held-out digit."""
    canvas = draw(digit, Stroke(190, (140, 140), 18))
    grey = np.asarray(canvas.convert("L"))
    wide = grey.astype(">u2") * 257  # 16 bits per sample, big-endian as PNG stores them
    rgb16 = np.stack([wide, wide, wide], axis=-1)
    filtered = (b"\0" + line.tobytes() for line in rgb16)
    # Transparency over black, as dark as the ink: a reader that ignores it sees a black square.
    transparent = draw(digit, Stroke(190, (140, 140), 18, background=(0, 0, 0, 0)))
    palette = Image.fromarray((grey // 16).astype(np.uint8), mode="L").convert("P")
    palette.putpalette([level for i in range(16) for level in (i * 17,) * 3] + [0, 0, 0])
    palette.putdata(np.where(grey > 250, 16, grey // 16).ravel().tolist())
    return {
        "rgb16.png": png_raw(grey.shape[1], grey.shape[0], 16, 2, filtered),
        "grey16.png": _save(Image.fromarray(grey.astype(np.uint16) * 257), "PNG"),
        "i16.tif": _save(
            Image.fromarray(grey.astype(np.uint16) * 257).convert("I;16"), "TIFF", compression="tiff_adobe_deflate"
        ),
        "cmyk.jpg": _save(canvas.convert("CMYK"), "JPEG", quality=92),
        "palette-transparent.png": _save(palette, "PNG", transparency=16),
        "grey-alpha.png": _save(transparent.convert("LA"), "PNG"),
    }


def main() -> None:
    digit, label = heldout_digit()
    OUT.mkdir(exist_ok=True)
    for name, data in {**hostile(digit), **odd(digit)}.items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(list(OUT.iterdir()))} files to {OUT} (the odd images show a {label})")


if __name__ == "__main__":
    main()
