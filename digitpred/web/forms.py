"""The upload form: works without JavaScript, protected by a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from digitpred.ml.service import MODES

EXTENSIONS = ["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"]
MODE_LABELS = {  # one for each of MODES
    "digit": "One digit",
    "number": "A number (digits in a row)",
    "lines": "Every number on the page, line by line",
}


class UploadForm(FlaskForm):
    image = FileField(
        "Photo or scan of a digit",
        validators=[
            FileRequired("Choose an image file."),
            FileAllowed(EXTENSIONS, "Choose a PNG, JPEG, GIF, BMP, WebP or TIFF image."),
        ],
    )
    mode = RadioField(
        "Read",
        choices=[SelectChoice(mode, MODE_LABELS[mode]) for mode in MODES],
        default=MODES[0],
    )
