"""Property tests: whatever array or bytes come in, the pipeline gives a valid 28×28 field or a typed error."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from digitpred.api.inputs import json_depth
from digitpred.ml.errors import DigitpredError
from digitpred.ml.preprocess import preprocess_array
from digitpred.ml.service import prepare
from tests.helpers import resource

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DTYPES = st.one_of(
    hnp.boolean_dtypes(),
    hnp.integer_dtypes(endianness="="),
    hnp.unsigned_integer_dtypes(endianness="="),
    hnp.floating_dtypes(endianness="="),
    hnp.complex_number_dtypes(),
    st.just(np.dtype("U3")),
)
SHAPES = st.one_of(
    hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=48),
    st.tuples(st.integers(1, 3), st.integers(1, 3000)),  # strips, both ways round
    st.tuples(st.integers(1, 3000), st.integers(1, 3)),
)


def assert_field(field: np.ndarray) -> None:
    assert field.shape == (28, 28) and field.dtype == np.float32
    assert np.isfinite(field).all()
    assert field.min() >= 0.0 and field.max() <= 1.0 + 1e-6
    assert field.max() > 0.5  # the ink is normalised, not a faint smear


def field_or_typed_error(arr: np.ndarray) -> np.ndarray | None:
    try:
        field = preprocess_array(arr)
    except DigitpredError as exc:
        event(type(exc).__name__)  # shown by --hypothesis-show-statistics
        return None
    event("field")
    assert_field(field)
    return field


@FAST
@given(hnp.arrays(DTYPES, SHAPES))
def test_any_array_gives_a_field_or_a_typed_error(arr):
    field_or_typed_error(arr)


@FAST
@given(
    hnp.arrays(
        np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=64), elements=st.sampled_from([0, 255])
    )
)
def test_any_black_and_white_picture(arr):
    field_or_typed_error(arr)


@FAST
@given(
    st.sampled_from([np.uint8, np.uint16, np.int32, np.float32, np.float64]),
    st.integers(10, 400),
    st.integers(10, 400),
    st.integers(0, 1_000_000),
    st.booleans(),
)
def test_a_held_out_digit_at_any_size_and_type_is_found(heldout, dtype, height, width, seed, dark_ink):
    """A real digit scaled into any canvas, in any number type, is always found and centred."""
    digit = heldout[0][seed % len(heldout[0])]
    side = max(8, min(height, width) * 3 // 4)
    img = np.asarray(Image.fromarray(digit).resize((side, side), Image.BILINEAR), dtype=np.float64) / 255.0
    canvas = np.zeros((height, width))
    top, left = (height - side) // 2, (width - side) // 2
    canvas[top : top + side, left : left + side] = img
    if dark_ink:
        canvas = 1.0 - canvas
    scaled = canvas if np.dtype(dtype).kind == "f" else canvas * (255 if dtype == np.uint8 else 60_000)
    field = field_or_typed_error(scaled.astype(dtype))
    assert field is not None


PNG = resource("canvas-7.png")


@FAST
@given(st.lists(st.tuples(st.integers(0, len(PNG) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_png_bytes(flips):
    data = bytearray(PNG)
    for index, value in flips:
        data[index] = value
    try:
        assert_field(prepare(bytes(data)))
    except DigitpredError:
        pass


@FAST
@given(
    st.binary(max_size=2048),
    st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"\xff\xd8\xff", b"II*\x00", b"BM"]),
)
def test_arbitrary_bytes_behind_a_known_signature(tail, signature):
    try:
        assert_field(prepare(signature + tail))
    except DigitpredError:
        pass


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(alphabet='[]{}"\\ab,:\n'),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet='[]{}"\\k', max_size=4), inner, max_size=4)
    ),
    max_leaves=30,
)


def nesting(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    return 0


@FAST
@given(JSON_VALUES, st.booleans())
def test_json_depth_scan_agrees_with_the_parser(value, ascii_only):
    """Brackets, quotes and backslashes inside strings and keys never fool the scan."""
    assert json_depth(json.dumps(value, ensure_ascii=ascii_only).encode()) == nesting(value)
