"""Bytes -> a Pillow image, upright and in a mode the pipeline knows, or a typed error."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from digitpred.ml.errors import ImageTooLarge, InvalidImage

FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
DEFAULT_MAX_PIXELS = 40_000_000
# JPEGs are decoded at reduced scale down to this size (preprocessing works at 512 at most).
WORK_SIZE = 512


def decode(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, work_size: int = WORK_SIZE) -> Image.Image:
    """Open, check the header's size before any pixel is decoded, apply EXIF orientation, load."""
    if not data:
        raise InvalidImage("The image is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(f"The image has too many pixels (at most {max_pixels:,}).") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InvalidImage() from exc
    width, height = img.size
    if width < 1 or height < 1:
        raise InvalidImage("The image has no pixels.")
    if width * height > max_pixels:
        raise ImageTooLarge(f"The image has {width * height:,} pixels; at most {max_pixels:,} are accepted.")
    try:
        if img.format == "JPEG":
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale, and straight to grey (all the pipeline reads):
            # far less work for a 12-megapixel photo.
            img.draft("L" if img.mode != "CMYK" else img.mode, (work_size, work_size))
        img.seek(0)
        img.load()
        ImageOps.exif_transpose(img, in_place=True)  # in place: no copy of an upright image
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise InvalidImage("The image is damaged or truncated.") from exc
    return img
