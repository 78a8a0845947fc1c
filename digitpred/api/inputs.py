"""Where the image is in a request: a multipart file, a JSON data URL or base64 string, or the raw body."""

from __future__ import annotations

import base64
import binascii
import re

from flask import Request

from digitpred.errors import RequestError

FIELD = "image"
BATCH_FIELD = "images"
_DATA_URL = re.compile(
    r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?)(?P<b64>;base64)?,(?P<data>.*)$", re.S
)


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


def images_from_request(request: Request, limit: int) -> list[bytes | RequestError]:
    """A batch: multipart files in the field 'images', or JSON {"images": [data URL or base64, ...]}.

    A bad item is returned as its error, in its place, so that the others are still answered.
    """
    mimetype = request.mimetype or ""
    if mimetype == "multipart/form-data":
        values: list = request.files.getlist(BATCH_FIELD)
    elif mimetype == "application/json" or mimetype.endswith("+json"):
        payload = request.get_json(silent=True)
        if payload is None:
            raise RequestError("invalid_json", "The request body is not valid JSON.")
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


def image_from_request(request: Request) -> tuple[bytes, str | None]:
    """The image and, where the body carries one, the `mode` (form field or JSON key)."""
    mimetype = request.mimetype or ""
    if mimetype == "multipart/form-data" or mimetype == "application/x-www-form-urlencoded":
        file = request.files.get(FIELD)
        if file is not None:
            data = file.read()
            if not data:
                raise RequestError("missing_image", f"The file in the form field '{FIELD}' is empty.")
            return data, request.form.get("mode")
        if request.form.get(FIELD):
            return decode_base64(request.form[FIELD]), request.form.get("mode")
        raise RequestError("missing_image", f"Send the image as a file in the form field '{FIELD}'.")
    if mimetype == "application/json" or mimetype.endswith("+json"):
        payload = request.get_json(silent=True)
        if payload is None:
            raise RequestError("invalid_json", "The request body is not valid JSON.")
        if not isinstance(payload, dict) or FIELD not in payload:
            raise RequestError("missing_image", f'Send JSON like {{"{FIELD}": "data:image/png;base64,..."}}.')
        value = payload[FIELD]
        if not isinstance(value, str):
            raise RequestError("invalid_image_field", f"'{FIELD}' must be a string: a data URL or base64.")
        mode = payload.get("mode")
        if mode is not None and not isinstance(mode, str):
            raise RequestError("invalid_mode", "'mode' must be a string: digit or number.")
        return decode_base64(value), mode
    if mimetype.startswith("image/"):
        data = request.get_data(cache=False)
        if not data:
            raise RequestError("missing_image", "The request body is empty.")
        return data, None
    if not mimetype and not request.content_length:
        raise RequestError("missing_image", "The request has no image.")
    raise RequestError(
        "unsupported_media_type",
        "Send multipart/form-data with an 'image' file, JSON with an 'image' string, or a body of type image/*.",
        415,
    )
