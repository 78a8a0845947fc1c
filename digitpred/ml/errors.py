"""Typed errors of the serving core. Each knows its HTTP status and a stable snake_case code, so the web
layer maps them without knowing what went wrong inside."""

from __future__ import annotations


class DigitpredError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    default_message = "Something went wrong."

    @property
    def message(self) -> str:
        return str(self.args[0])

    def details(self) -> dict:
        """What the error object carries besides its code and message."""
        return {}


class InvalidImage(DigitpredError):
    status = 415
    code = "invalid_image"
    default_message = "The file is not an image this service can read (PNG, JPEG, GIF, BMP, WebP or TIFF)."


class ImageTooLarge(DigitpredError):
    status = 413
    code = "image_too_large"
    default_message = "The image has too many pixels."


class NoDigit(DigitpredError):
    status = 422
    code = "no_digit"
    default_message = "The image holds no digit: it is blank or has no contrast."


class NotADigit(DigitpredError):
    """The image holds something, but not a digit (a letter, a symbol, a doodle). The closest digit and its
    probability travel with the refusal, so that a client can still show them."""

    status = 422
    code = "not_a_digit"
    default_message = "That doesn't look like a digit."

    def __init__(self, message: str | None = None, closest: int | None = None, probability: float = 0.0) -> None:
        super().__init__(message)
        self.closest, self.probability = closest, probability

    def details(self) -> dict:
        return {"closest": {"digit": self.closest, "probability": round(self.probability, 6)}}


class ModelNotReady(DigitpredError):
    status = 503
    code = "model_not_ready"
    default_message = "The model is not available right now."


class TooManyDigits(DigitpredError):
    status = 422
    code = "too_many_digits"
    default_message = "The image holds more digits than are read at once."


class ImageSideTooLarge(DigitpredError):
    status = 413
    code = "image_side_too_large"
    default_message = "The image is too wide or too tall."


class ImageTooSmall(DigitpredError):
    status = 422
    code = "image_too_small"
    default_message = "The image is too small to hold a digit."


class TooManyFrames(DigitpredError):
    status = 413
    code = "too_many_frames"
    default_message = "The image has too many frames."


class InvalidMode(DigitpredError):
    status = 400
    code = "invalid_mode"
    default_message = "The mode is not one this service reads: digit or number."


class UnreadableFile(DigitpredError):
    """A file named to the command line or the Python API that cannot be opened: missing, a folder, no access.
    Never raised over HTTP, where the bytes arrive in the request."""

    status = 400
    code = "unreadable_file"
    default_message = "The file cannot be read."
