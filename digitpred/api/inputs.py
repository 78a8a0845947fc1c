"""Where the image is in a request: a multipart file, a JSON data URL or base64 string, or the raw body."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from flask import Request

from digitpred.errors import RequestError
from digitpred.ml.service import MODES

FIELD = "image"
BATCH_FIELD = "images"
_DATA_URL = re.compile(
    r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?)(?P<b64>;base64)?,(?P<data>.*)$", re.S
)


@dataclass(frozen=True)
class JsonLimits:
    max_bytes: int = 8 * 1024 * 1024
    max_depth: int = 16


def json_depth(data: bytes) -> int:
    """How deeply arrays and objects nest, found without parsing: escapes and strings are cut out at C speed
    (bytes.replace, translate and one linear regex), then the brackets left are summed in chunks by numpy.
    The parser is only handed bodies this has passed, so it never recurses past the limit."""
    data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = re.sub(rb'"[^"]*"', b"", data.translate(None, _NOT_STRUCTURE))
    depth = deepest = 0
    for start in range(0, len(structure), 1 << 20):
        chunk = np.frombuffer(structure[start : start + (1 << 20)], dtype=np.uint8)
        steps = np.isin(chunk, _OPEN).astype(np.int32) - np.isin(chunk, _CLOSE).astype(np.int32)
        levels = np.cumsum(steps) + depth
        deepest = max(deepest, int(levels.max()))
        depth = int(levels[-1])
    return deepest


_OPEN = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSE = np.frombuffer(b"]}", dtype=np.uint8)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')


def read_json(request: Request, limits: JsonLimits):
    """The parsed body, its size and depth checked before the parser sees it."""
    too_large = RequestError(
        "json_too_large", f"A JSON body may be at most {limits.max_bytes:,} bytes (MAX_JSON_BYTES).", 413
    )
    if request.content_length is not None and request.content_length > limits.max_bytes:
        raise too_large
    data = request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH when the length is not declared
    if len(data) > limits.max_bytes:
        raise too_large
    too_deep = RequestError(
        "json_too_deep", f"JSON may nest arrays and objects at most {limits.max_depth} deep (MAX_JSON_DEPTH).", 422
    )
    try:
        # UTF-8 only (RFC 8259): the depth scan reads bytes, and in UTF-16 an escaped quote would slip past it.
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError("invalid_json", "The request body is not UTF-8 JSON.") from exc
    if json_depth(data) > limits.max_depth:
        raise too_deep
    try:
        return json.loads(text)
    except RecursionError as exc:  # not reached past the scan; kept so that no body can make a 500
        raise too_deep from exc
    except ValueError as exc:
        raise RequestError("invalid_json", "The request body is not valid JSON.") from exc


def decode_base64(text: str) -> bytes:
    """A data URL or bare base64 (standard or URL-safe, padding optional) -> bytes."""
    text = text.strip()
    match = _DATA_URL.match(text)
    if match:
        if not match.group("b64"):
            raise RequestError("invalid_base64", "The data URL is not base64-encoded.")
        media_type = (match.group("type") or "").lower()
        if media_type and not media_type.startswith("image/"):
            raise RequestError("unsupported_media_type", f"The data URL holds {media_type}, not an image.", 415)
        text = match.group("data")
    text = re.sub(r"\s+", "", text)
    if not text:
        raise RequestError("missing_image", "The image string is empty.")
    text = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestError("invalid_base64", "The image is not valid base64.") from exc


def images_from_request(
    request: Request, limit: int, json_limits: JsonLimits = JsonLimits()
) -> list[bytes | RequestError]:
    """A batch: multipart files in the field 'images', or JSON {"images": [data URL or base64, ...]}.

    A bad item is returned as its error, in its place, so that the others are still answered.
    """
    mimetype = request.mimetype or ""
    if mimetype == "multipart/form-data":
        values: list = request.files.getlist(BATCH_FIELD)
    elif mimetype == "application/json" or mimetype.endswith("+json"):
        payload = read_json(request, json_limits)
        values = payload.get(BATCH_FIELD) if isinstance(payload, dict) else None
        if not isinstance(values, list):
            raise RequestError("missing_image", f'Send JSON like {{"{BATCH_FIELD}": ["data:image/png;base64,..."]}}.')
    else:
        raise RequestError(
            "unsupported_media_type",
            f"Send multipart/form-data with '{BATCH_FIELD}' files, or JSON with an '{BATCH_FIELD}' list.",
            415,
        )
    if not values:
        raise RequestError("missing_image", f"The batch holds no images (field '{BATCH_FIELD}').")
    if len(values) > limit:
        raise RequestError("batch_too_large", f"A batch holds at most {limit} images; this one has {len(values)}.", 413)
    items: list[bytes | RequestError] = []
    for value in values:
        try:
            if isinstance(value, str):
                items.append(decode_base64(value))
            elif hasattr(value, "read"):
                data = value.read()
                if not data:
                    raise RequestError("missing_image", "This file is empty.")
                items.append(data)
            else:
                raise RequestError("invalid_image_field", "Each image must be a string: a data URL or base64.")
        except RequestError as exc:
            items.append(exc)
    return items


def image_from_request(request: Request, json_limits: JsonLimits = JsonLimits()) -> tuple[bytes, Mapping]:
    """The image and the body's other fields (form fields or JSON keys, such as `mode`; none for a raw image),
    from a body read and checked once."""
    mimetype = request.mimetype or ""
    if mimetype == "multipart/form-data" or mimetype == "application/x-www-form-urlencoded":
        file = request.files.get(FIELD)
        if file is not None:
            data = file.read()
            if not data:
                raise RequestError("missing_image", f"The file in the form field '{FIELD}' is empty.")
            return data, request.form
        if request.form.get(FIELD):
            return decode_base64(request.form[FIELD]), request.form
        raise RequestError("missing_image", f"Send the image as a file in the form field '{FIELD}'.")
    if mimetype == "application/json" or mimetype.endswith("+json"):
        payload = read_json(request, json_limits)
        if not isinstance(payload, dict) or FIELD not in payload:
            raise RequestError("missing_image", f'Send JSON like {{"{FIELD}": "data:image/png;base64,..."}}.')
        value = payload[FIELD]
        if not isinstance(value, str):
            raise RequestError("invalid_image_field", f"'{FIELD}' must be a string: a data URL or base64.")
        mode = payload.get("mode")
        if mode is not None and not isinstance(mode, str):
            raise RequestError("invalid_mode", f"'mode' must be a string: {' or '.join(MODES)}.")
        return decode_base64(value), payload
    if mimetype.startswith("image/"):
        data = request.get_data(cache=False)
        if not data:
            raise RequestError("missing_image", "The request body is empty.")
        return data, {}
    if not mimetype and not request.content_length:
        raise RequestError("missing_image", "The request has no image.")
    raise RequestError(
        "unsupported_media_type",
        "Send multipart/form-data with an 'image' file, JSON with an 'image' string, or a body of type image/*.",
        415,
    )
