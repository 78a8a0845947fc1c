"""Bytes -> a Pillow image, upright and in a mode the pipeline knows, or a typed error."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from digitpred.ml.errors import ImageSideTooLarge, ImageTooLarge, ImageTooSmall, InvalidImage, TooManyFrames

FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_SIDE = 16_384
DEFAULT_MIN_SIDE = 8
DEFAULT_MAX_FRAMES = 100
# JPEGs are decoded at reduced scale down to this size (preprocessing works at 512 at most).
WORK_SIZE = 512


def decode(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side: int = DEFAULT_MAX_SIDE,
    min_side: int = DEFAULT_MIN_SIDE,
    max_frames: int = DEFAULT_MAX_FRAMES,
    work_size: int = WORK_SIZE,
) -> Image.Image:
    """Open, check the header's size and frame count before any pixel is decoded, apply EXIF orientation,
    load the first frame only."""
    if not data:
        raise InvalidImage("The image is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(f"The image has too many pixels (at most {max_pixels:,}).") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InvalidImage() from exc
    width, height = img.size
    if width < 1 or height < 1:
        raise InvalidImage("The image has no pixels.")
    if max(width, height) > max_side:
        raise ImageSideTooLarge(f"The image is {width}×{height} pixels; each side may be at most {max_side:,}.")
    if width * height > max_pixels:
        raise ImageTooLarge(f"The image has {width * height:,} pixels; at most {max_pixels:,} are accepted.")
    if min(width, height) < min_side:
        raise ImageTooSmall(f"The image is {width}×{height} pixels; each side must be at least {min_side}.")
    try:
        if has_more_frames(img, data, max_frames):
            raise TooManyFrames(f"The image has more than {max_frames} frames; only the first is read.")
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


def has_more_frames(img: Image.Image, data: bytes, limit: int) -> bool:
    """Whether the image has more than `limit` frames, found without decoding any: APNG, WebP and MPO say
    their count in a header, a TIFF's directories are walked only up to the limit, a GIF's blocks skimmed."""
    if img.format == "GIF":
        return gif_frames(data, limit + 1) > limit
    if img.format == "TIFF":
        try:
            img.seek(limit)  # reads directories only, and at most `limit` of them
        except EOFError:
            return False
        finally:
            img.seek(0)
        return True
    return int(getattr(img, "n_frames", 1)) > limit


_FRAGMENTED = "The GIF is cut into implausibly many tiny blocks."


def gif_frames(data: bytes, stop: int) -> int:
    """Image descriptors in a GIF, counted up to `stop`: the sub-blocks are skipped by their lengths, never
    decompressed, so a thousand-frame GIF costs no more than reading its bytes once. Encoders write data in
    sub-blocks of 255 bytes; a file cut into far smaller ones (a cheap way to make this loop crawl) is refused."""
    if len(data) < 13:
        return 0
    pos = 13
    if data[10] & 0x80:  # a global colour table follows the screen descriptor
        pos += 3 << ((data[10] & 7) + 1)
    frames = blocks = 0
    end = len(data)
    most_blocks = 10_000 + end // 64
    while pos < end and frames < stop:
        kind = data[pos]
        blocks += 1
        if blocks > most_blocks:
            raise InvalidImage(_FRAGMENTED)
        if kind == 0x3B:  # trailer
            break
        if kind == 0x21:  # extension: label, then sub-blocks
            pos += 2
        elif kind == 0x2C:  # image descriptor, local colour table, LZW minimum code size, then sub-blocks
            frames += 1
            if pos + 10 > end:
                break
            flags = data[pos + 9]
            pos += 10
            if flags & 0x80:
                pos += 3 << ((flags & 7) + 1)
            pos += 1
        else:
            break
        while pos < end and data[pos]:
            pos += data[pos] + 1
            blocks += 1
            if blocks > most_blocks:
                raise InvalidImage(_FRAGMENTED)
        pos += 1
    return frames
