"""read(): image bytes and a mode in, a result out. The one path that the page, the API and the corrections all
call; predict, predict_number and predict_batch are its building blocks."""

from __future__ import annotations

import base64
import io
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice

import numpy as np
from PIL import Image

from digitpred.ml.decode import DEFAULT_MAX_FRAMES, DEFAULT_MAX_PIXELS, DEFAULT_MAX_SIDE, DEFAULT_MIN_SIDE, decode
from digitpred.ml.errors import DigitpredError, InvalidMode, ModelNotReady, NoDigit, NotADigit
from digitpred.ml.lines import find_numbers
from digitpred.ml.model import NOT_A_DIGIT, Model, ModelHolder
from digitpred.ml.preprocess import Options, preprocess
from digitpred.ml.segment import Mark, Row, read_row, scaled_box

# What an image can be read as: one digit, a number written in a row, or every number on a page, line by line.
# The first is the default.
MODES = ("digit", "number", "lines")


@dataclass(frozen=True)
class Settings:
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_side: int = DEFAULT_MAX_SIDE
    min_side: int = DEFAULT_MIN_SIDE
    max_frames: int = DEFAULT_MAX_FRAMES
    # Below this confidence the answer is flagged as uncertain.
    uncertain_below: float = 0.8
    # At or above this probability of "not a digit" the image is refused (422 not_a_digit): lower refuses more
    # readily. A model without that class never refuses.
    not_a_digit_above: float = 0.6
    # The same for a mark in a row of digits (number and lines modes), left out of the number at or above it:
    # among digits a mark is most likely one, so it takes more to leave it out.
    mark_not_a_digit_above: float = 0.85
    preprocess: Options = Options()
    # Threads a batch uses: one preprocesses while the others decode the next images (see prepare_each).
    batch_workers: int = 1


def field_png(field: np.ndarray) -> bytes:
    """What the model saw (0-1 floats) as a grey PNG."""
    buf = io.BytesIO()
    Image.fromarray(np.round(field * 255).astype(np.uint8), mode="L").save(buf, format="PNG")
    return buf.getvalue()


@dataclass(frozen=True)
class Prediction:
    digit: int
    confidence: float
    probabilities: list[float]
    field: np.ndarray  # the 28×28 float32 image the model saw
    uncertain: bool
    not_a_digit: float | None = None  # the model's probability that this is no digit (None: it has no such class)

    @property
    def answer(self) -> str:
        """What was read, as a string of digits (as for a number)."""
        return str(self.digit)

    def input_png(self) -> bytes:
        return field_png(self.field)

    def input_data_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.input_png()).decode("ascii")

    def to_dict(self) -> dict:
        return {
            "digit": self.digit,
            "confidence": round(self.confidence, 6),
            "probabilities": [round(p, 6) for p in self.probabilities],
            "uncertain": self.uncertain,
            "not_a_digit": None if self.not_a_digit is None else round(self.not_a_digit, 6),
            "input": self.input_data_url(),
        }

    def refused(self, settings: Settings, in_row: bool = False) -> bool:
        """Whether this is no digit: an image on its own, or (in_row) a mark among the digits of a row."""
        above = settings.mark_not_a_digit_above if in_row else settings.not_a_digit_above
        return self.not_a_digit is not None and self.not_a_digit >= above

    def refusal(self) -> NotADigit:
        return NotADigit(closest=self.digit, probability=self.confidence)


def probabilities(model: Model, fields: np.ndarray) -> np.ndarray:
    """One forward pass over N×28×28 fields -> N×10 probabilities (N×11 where the model has the not-a-digit
    class, last), checked and summing to one."""
    probs = np.asarray(model(fields[..., None]), dtype=np.float64)
    if (
        probs.ndim != 2
        or probs.shape[0] != len(fields)
        or probs.shape[1] not in (NOT_A_DIGIT, NOT_A_DIGIT + 1)
        or not np.isfinite(probs).all()
    ):
        raise ModelNotReady("The model gave an answer of the wrong shape.")
    probs = np.clip(probs, 0.0, None)
    return probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)


def classify(model: Model, fields: np.ndarray, settings: Settings = Settings()) -> list[Prediction]:
    """One forward pass over N×28×28 fields -> one Prediction each."""
    return predictions(fields, probabilities(model, fields), settings)


def predictions(fields: np.ndarray, probs: np.ndarray, settings: Settings = Settings()) -> list[Prediction]:
    results = []
    for field, p in zip(fields, probs, strict=False):
        digits = p[:NOT_A_DIGIT]
        digit = int(digits.argmax())
        confidence = float(digits[digit])
        not_a_digit = float(p[NOT_A_DIGIT]) if len(p) > NOT_A_DIGIT else None
        results.append(
            Prediction(digit, confidence, digits.tolist(), field, confidence < settings.uncertain_below, not_a_digit)
        )
    return results


def decode_within(data: bytes, settings: Settings) -> Image.Image:
    return decode(
        data,
        max_pixels=settings.max_pixels,
        max_side=settings.max_side,
        min_side=settings.min_side,
        max_frames=settings.max_frames,
    )


def prepare(data: bytes, settings: Settings = Settings()) -> np.ndarray:
    """Bytes -> the 28×28 field, raising InvalidImage, ImageTooLarge or NoDigit."""
    return preprocess(decode_within(data, settings), settings.preprocess)


def predict(data: bytes, model: Model, settings: Settings = Settings()) -> Prediction:
    """One digit, or NotADigit when the model sees something else."""
    result = classify(model, prepare(data, settings)[None], settings)[0]
    if result.refused(settings):
        raise result.refusal()
    return result


@dataclass(frozen=True)
class NumberReading:
    digits: list[tuple[Prediction, tuple[int, int, int, int]]]  # each digit with its box (x, y, w, h)
    # Marks that are not digits (a stray letter, a scribble), left out of the number, with their boxes.
    left_out: list[tuple[Prediction, tuple[int, int, int, int]]] = ()
    # The number's points and its minus sign, read as such (segment.Mark: "point" or "minus", and a box).
    signs: list[Mark] = ()

    def marks(self) -> list[tuple[str, Prediction | None, tuple[int, int, int, int]]]:
        """Everything read, in reading order: ("minus", None, box) first, then digits and points by place."""
        minus = [("minus", None, m.box) for m in self.signs if m.kind == "minus"]
        rest = [("digit", p, box) for p, box in self.digits]
        rest += [("point", None, m.box) for m in self.signs if m.kind == "point"]
        return minus + sorted(rest, key=lambda mark: mark[2][0] + mark[2][2] / 2)

    @property
    def number(self) -> str:
        symbols = {"minus": "-", "point": "."}
        return "".join(str(p.digit) if kind == "digit" else symbols[kind] for kind, p, _ in self.marks())

    @property
    def answer(self) -> str:
        return self.number

    @property
    def confidence(self) -> float:
        """The product of the digits' confidences: the chance that every one of them is right."""
        return float(np.prod([p.confidence for p, _ in self.digits]))

    def input_png(self) -> bytes:
        """The digits' 28×28 images side by side, left to right: what the model saw for the whole number."""
        return field_png(np.hstack([p.field for p, _ in self.digits]))

    def to_dict(self) -> dict:
        digits = []
        for prediction, box in self.digits:
            item = prediction.to_dict()
            item["box"] = list(box)
            digits.append({k: item[k] for k in ("digit", "confidence", "box", "probabilities", "uncertain", "input")})
        left_out = [
            {"kind": "not_a_digit", "box": list(box), "closest": p.digit, "not_a_digit": round(p.not_a_digit, 6)}
            for p, box in self.left_out
        ]
        marks = [
            {"kind": kind, "box": list(box), **({"digit": p.digit, "uncertain": p.uncertain} if p else {})}
            for kind, p, box in self.marks()
        ]
        return {
            "number": self.number,
            "confidence": round(self.confidence, 6),
            "digits": digits,
            "marks": marks,
            "left_out": left_out,
        }


def predict_number(data: bytes, model: Model, settings: Settings = Settings()) -> NumberReading:
    """A number written in a row: segmented, each digit normalised like a single one. Segmentation reads every
    candidate digit in one forward pass, and the digits chosen keep that reading."""
    img = decode_within(data, settings)
    row = read_row(img, settings.preprocess, score=lambda fields: probabilities(model, fields))
    return _number_from_row(row, settings)


def _number_from_row(
    row: Row, settings: Settings, offset: tuple[int, int] = (0, 0), scale: tuple[float, float] = (1.0, 1.0)
) -> NumberReading:
    """A segmented row as a NumberReading, its boxes moved into the page's pixels (offset + box × scale)."""
    fields = np.stack([p.field for p in row.pieces])
    answers = predictions(fields, np.stack([p.probabilities for p in row.pieces]), settings)
    boxed = [(p, scaled_box(piece.box, scale, offset)) for p, piece in zip(answers, row.pieces, strict=True)]
    digits = [(p, box) for p, box in boxed if not p.refused(settings, in_row=True)]
    if not digits:
        refused = max((p for p, _ in boxed), key=lambda p: p.confidence)
        raise refused.refusal() if boxed else NoDigit()
    signs = [Mark(m.kind, scaled_box(m.box, scale, offset)) for m in row.marks]
    return NumberReading(digits, [(p, box) for p, box in boxed if p.refused(settings, in_row=True)], signs)


@dataclass(frozen=True)
class LinesReading:
    """Every number on a page: (its reading, its box, its line), top line first, left to right."""

    numbers: list[tuple[NumberReading, tuple[int, int, int, int], int]]

    @property
    def answer(self) -> str:
        """The numbers, a space between those of one line and " / " between lines."""
        lines: dict[int, list[str]] = {}
        for reading, _, line in self.numbers:
            lines.setdefault(line, []).append(reading.number)
        return " / ".join(" ".join(numbers) for numbers in lines.values())

    @property
    def digits(self) -> list[tuple[Prediction, tuple[int, int, int, int]]]:
        """Every digit read on the page with its box, as NumberReading.digits: number by number."""
        return [digit for reading, _, _ in self.numbers for digit in reading.digits]

    @property
    def confidence(self) -> float:
        return float(np.prod([r.confidence for r, _, _ in self.numbers]))

    def input_png(self) -> bytes:
        return field_png(np.hstack([p.field for p, _ in self.digits]))

    def to_dict(self) -> dict:
        lines = []
        for reading, box, line in self.numbers:
            item = reading.to_dict()
            lines.append(
                {
                    "number": item.pop("number"),
                    "confidence": item.pop("confidence"),
                    "box": list(box),
                    "line": line,
                    **item,
                }
            )
        return {"lines": lines, "confidence": round(self.confidence, 6)}


def predict_lines(data: bytes, model: Model, settings: Settings = Settings()) -> LinesReading:
    """Every number on a page, line by line: each found by lines.find_numbers, then read as a row. A number
    whose marks are all refused (a scribble, a word) is left out; a page with none read is refused."""
    img = decode_within(data, settings)
    numbers, refusals = [], []
    for found in find_numbers(img, settings.preprocess):
        try:
            row = read_row(found.image, settings.preprocess, score=lambda fields: probabilities(model, fields))
            reading = _number_from_row(row, settings, found.box[:2], found.scale)
        except (NoDigit, NotADigit) as exc:
            refusals.append(exc)
            continue
        numbers.append((reading, found.box, found.line))
    if not numbers:
        raise next((e for e in refusals if isinstance(e, NotADigit)), NoDigit())
    # Lines numbered from 0 among those that kept a number.
    renumber = {line: i for i, line in enumerate(sorted({line for _, _, line in numbers}))}
    return LinesReading([(r, box, renumber[line]) for r, box, line in numbers])


def check_mode(mode: str) -> None:
    """InvalidMode unless `mode` is one of MODES."""
    if mode not in MODES:
        raise InvalidMode(f"mode must be one of {', '.join(MODES)}, not {mode!r}.")


def read(
    data: bytes, mode: str, model: Model | ModelHolder, settings: Settings = Settings()
) -> Prediction | NumberReading | LinesReading:
    """The image read as `mode` (one of MODES): a Prediction for "digit", a NumberReading for "number", a
    LinesReading for "lines".

    An unknown mode raises InvalidMode. It is checked first, and a ModelHolder is only asked for its model once
    the mode is known to be good: a malformed request is answered as such even when the model cannot load.
    """
    check_mode(mode)
    if isinstance(model, ModelHolder):
        model = model.get()
    if mode == "number":
        return predict_number(data, model, settings)
    if mode == "lines":
        return predict_lines(data, model, settings)
    return predict(data, model, settings)


def predict_batch(
    items: list[bytes], model: Model, settings: Settings = Settings()
) -> list[Prediction | DigitpredError]:
    """Each image's prediction or its own typed error, in order; one forward pass for all that decode."""
    prepared = prepare_each(items, settings)
    fields = [p for p in prepared if isinstance(p, np.ndarray)]
    classified = iter(classify(model, np.stack(fields), settings) if fields else [])
    answers = [next(classified) if isinstance(p, np.ndarray) else p for p in prepared]
    return [a.refusal() if isinstance(a, Prediction) and a.refused(settings) else a for a in answers]


def prepare_each(items: list[bytes], settings: Settings = Settings()) -> list[np.ndarray | DigitpredError]:
    """Each image's 28×28 field or its own typed error, in order.

    With `settings.batch_workers` above one, that many threads less one decode the next images while this one
    preprocesses each as it comes. Decoding (inflating a PNG, libjpeg) lets go of the GIL, so it runs beside;
    preprocessing holds it most of the time, so two threads on it only take turns (slower than one, measured:
    bench/batch.py). A few images are decoded ahead, no more, so a batch never holds all its pixels at once.
    """
    decoders = min(settings.batch_workers - 1, len(items))
    if decoders < 1:
        return [_preprocess_or_error(_decode_or_error(data, settings), settings) for data in items]
    pending = iter(items)
    with ThreadPoolExecutor(max_workers=decoders, thread_name_prefix="digitpred-decode") as pool:
        ahead = deque(pool.submit(_decode_or_error, data, settings) for data in islice(pending, 2 * decoders))
        prepared = []
        while ahead:
            decoded = ahead.popleft().result()
            data = next(pending, None)
            if data is not None:
                ahead.append(pool.submit(_decode_or_error, data, settings))
            prepared.append(_preprocess_or_error(decoded, settings))
        return prepared


def _decode_or_error(data: bytes, settings: Settings) -> Image.Image | DigitpredError:
    try:
        return decode_within(data, settings)
    except DigitpredError as exc:  # any image's own fault stays that image's answer
        return exc


def _preprocess_or_error(img: Image.Image | DigitpredError, settings: Settings) -> np.ndarray | DigitpredError:
    if isinstance(img, DigitpredError):
        return img
    try:
        return preprocess(img, settings.preprocess)
    except DigitpredError as exc:
        return exc
