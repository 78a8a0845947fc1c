"""Every limit on what a request may make the server do, each breach answered with its own code."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from digitpred.api.inputs import json_depth
from digitpred.ml.decode import decode, gif_frames
from digitpred.ml.errors import ImageSideTooLarge, ImageTooSmall, InvalidImage, TooManyFrames
from tests.helpers import png_bytes, resource


def animation(fmt: str, frames: int, size: tuple[int, int] = (16, 16)) -> bytes:
    images = [Image.new("L", size, (i * 37) % 256) for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, format=fmt, save_all=True, append_images=images[1:])
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "TIFF", "WEBP"])
def test_frames_are_counted_up_to_the_limit(fmt):
    data = animation(fmt, 12)
    assert Image.open(io.BytesIO(data)).n_frames == 12
    with pytest.raises(TooManyFrames):
        decode(data, max_frames=11)
    img = decode(data, max_frames=12)  # at the limit: the first frame is read
    assert img.size == (16, 16) and np.asarray(img.convert("L")).max() == 0


def test_gif_frames_counts_without_decoding_and_stops_early():
    data = animation("GIF", 30)
    assert gif_frames(data, 1000) == 30
    assert gif_frames(data, 5) == 5
    assert gif_frames(b"GIF89a", 10) == 0
    assert gif_frames(data[:200], 1000) < 30  # a cut-short file ends the count, it does not raise


def test_sides():
    with pytest.raises(ImageSideTooLarge):
        decode(png_bytes(Image.new("L", (2000, 10))), max_side=1999)
    with pytest.raises(ImageTooSmall):
        decode(png_bytes(Image.new("L", (7, 100))), min_side=8)
    assert decode(png_bytes(Image.new("L", (8, 2000))), min_side=8, max_side=2000).size == (8, 2000)


def test_side_and_frame_limits_come_from_config(faked_client):
    client = faked_client(MAX_IMAGE_SIDE=100, MIN_IMAGE_SIDE=20, MAX_FRAMES=3)
    for body, status, code in [
        (resource("canvas-7.png"), 413, "image_side_too_large"),
        (png_bytes(Image.new("L", (50, 19))), 422, "image_too_small"),
        (animation("GIF", 4, (30, 30)), 413, "too_many_frames"),
    ]:
        rv = client.post("/api/predict", data=body, content_type="image/png")
        assert (rv.status_code, rv.json["error"]["code"]) == (status, code)
        assert len(rv.json["error"]["message"]) > 20


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("{}", 1),
        ('{"image": "abc"}', 1),
        ('{"images": ["a", "b"]}', 2),
        ("[[[[1]]], [2]]", 4),
        ('{"a": "[[[[[[{{{{"}', 1),  # brackets inside strings do not count
        (r'{"a": "x\"[[[[\\", "b": [[1]]}', 3),  # nor after escaped quotes; an escaped backslash ends no string
        (r'{"a": "\\\"[[[[["}', 1),
        ("", 0),
        ("[" * 5000, 5000),
    ],
)
def test_json_depth(text, depth):
    assert json_depth(text.encode()) == depth
    if depth < 100 and text:
        assert _depth(json.loads(text)) == depth


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def test_json_depth_across_chunks():
    text = "[" * 40 + " " * (3 << 20) + "]" * 40
    assert json_depth(text.encode()) == 40


def test_json_limits_from_config(faked_client):
    client = faked_client(MAX_JSON_BYTES=1000, MAX_JSON_DEPTH=3)
    rv = client.post("/api/predict", json={"image": "A" * 2000})
    assert (rv.status_code, rv.json["error"]["code"]) == (413, "json_too_large")
    assert "MAX_JSON_BYTES" in rv.json["error"]["message"]
    rv = client.post("/api/predict", json={"image": [[["x"]]]})
    assert (rv.status_code, rv.json["error"]["code"]) == (422, "json_too_deep")
    rv = client.post("/api/predict/batch", json={"images": [[["x"]]]})
    assert (rv.status_code, rv.json["error"]["code"]) == (422, "json_too_deep")
    rv = client.post("/api/predict", json={"image": [["x"]]})
    assert (rv.status_code, rv.json["error"]["code"]) == (400, "invalid_image_field")


def test_json_size_is_checked_before_the_body_is_read(faked_client):
    """A declared length over the limit is refused without reading a byte of the body."""
    client = faked_client(MAX_JSON_BYTES=1000)

    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the body was read")

        readinto = readline = read

    rv = client.post(
        "/api/predict",
        input_stream=Unreadable(),
        content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": str(50 * 1024 * 1024)},
    )
    assert (rv.status_code, rv.json["error"]["code"]) == (413, "json_too_large")


@pytest.mark.parametrize(
    "filler", [b"\x01\x00" * 2_000_000, b"\x21\xfe\x00" * 1_000_000], ids=["sub-blocks", "extensions"]
)
def test_gif_cut_into_tiny_blocks_is_refused_early(filler):
    """Millions of one-byte blocks would make the frame count crawl: such a file is refused once the count of
    blocks passes what an encoder's 255-byte blocks could explain."""
    head = animation("GIF", 1)
    head = head[: head.index(b"\x2c")]
    frame = b"\x2c\x00\x00\x00\x00\x10\x00\x10\x00\x00\x08"
    data = head + (frame + filler if filler[0] == 1 else filler + frame + b"\x01\x00") + b"\x00\x3b"
    with pytest.raises(InvalidImage, match="tiny blocks"):
        gif_frames(data, 101)


def test_json_must_be_utf8_so_the_depth_scan_cannot_be_fooled(faked_client):
    """In UTF-16 an escaped quote is not the two adjacent bytes the scan removes: it would pair with a later
    quote and hide the brackets between them from the count, and the parser would recurse until it failed."""
    text = '{"a": "x\\"", "b": ' + "[" * 5000 + "]" * 5000 + ', "c": "d"}'
    client = faked_client()
    for encoding in ("utf-16-le", "utf-16", "utf-32"):
        rv = client.post("/api/predict", data=text.encode(encoding), content_type="application/json")
        assert (rv.status_code, rv.json["error"]["code"]) == (400, "invalid_json"), encoding
    rv = client.post("/api/predict", data=text.encode("utf-8"), content_type="application/json")
    assert (rv.status_code, rv.json["error"]["code"]) == (422, "json_too_deep")
