"""Writing and reading corrections in the database. Every write is one transaction: it lands whole or not at all."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import Counter
from dataclasses import dataclass

import numpy as np
from PIL import Image
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from digitpred.corrections.tables import Correction, utcnow
from digitpred.extensions import db


@dataclass(frozen=True)
class Submission:
    mode: str  # "digit" or "number"
    image: bytes  # the original image as sent
    truth: str  # the true digit or number, as digits
    predicted: str
    confidence: float
    input_png: bytes
    model_sha256: str | None


def record(sub: Submission, max_original_bytes: int) -> tuple[Correction, bool]:
    """Store a correction once; returns it and whether it is new (False: the same submission was already stored).

    Two requests racing with the same submission both try to insert; the database's unique constraint lets one
    through and the other finds that one's row.
    """
    digest = hashlib.sha256(sub.image).hexdigest()
    key = (Correction.image_sha256 == digest, Correction.mode == sub.mode, Correction.truth == sub.truth)
    for _ in range(3):
        try:
            existing = db.session.scalars(select(Correction).where(*key)).first()
            if existing is not None:
                db.session.commit()
                return existing, False
            row = Correction(
                mode=sub.mode,
                predicted=sub.predicted,
                truth=sub.truth,
                confidence=sub.confidence,
                input_png=sub.input_png,
                original=sub.image if len(sub.image) <= max_original_bytes else None,
                original_size=len(sub.image),
                image_sha256=digest,
                model_sha256=sub.model_sha256,
                status="kept",
            )
            db.session.add(row)
            db.session.commit()
            return row, True
        except IntegrityError:
            db.session.rollback()  # another request stored it first: read theirs on the next pass
        except Exception:
            db.session.rollback()
            raise
    raise RuntimeError("a correction could neither be stored nor found")


def get(correction_id: int) -> Correction | None:
    return db.session.get(Correction, correction_id)


def listing(filters: dict, limit: int, offset: int) -> tuple[int, list[Correction]]:
    """How many corrections match the review page's filters, and a page of them, newest first."""
    q = select(Correction)
    if filters["truth"]:
        q = q.where(Correction.truth == filters["truth"])
    if filters["predicted"]:
        q = q.where(Correction.predicted == filters["predicted"])
    if filters["status"] != "all":
        q = q.where(Correction.status == filters["status"])
    if filters["wrong"]:
        q = q.where(Correction.predicted != Correction.truth)
    total = db.session.scalar(select(func.count()).select_from(q.subquery()))
    rows = db.session.scalars(q.order_by(Correction.id.desc()).limit(limit).offset(offset)).all()
    return total, list(rows)


def set_status(correction_id: int, status: str) -> bool:
    row = get(correction_id)
    if row is None:
        return False
    row.status = status
    db.session.commit()
    return True


def prune(days: int, now: dt.datetime | None = None) -> int:
    """Delete corrections older than `days` days; the number deleted."""
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    result = db.session.execute(delete(Correction).where(Correction.created_at < cutoff))
    db.session.commit()
    return result.rowcount or 0


def confusion() -> np.ndarray:
    """10×10 counts of kept corrections, rows the true digit, columns the predicted one (as in evaluation).

    A number counts digit by digit when it was read with the right number of digits (otherwise the digits do not
    pair up).
    """
    m = np.zeros((10, 10), dtype=int)
    rows = db.session.execute(
        select(Correction.predicted, Correction.truth, func.count())
        .where(Correction.status == "kept")
        .group_by(Correction.predicted, Correction.truth)
    )
    for predicted, truth, count in rows:
        if len(predicted) == len(truth):
            for p, t in zip(predicted, truth, strict=True):
                m[int(t), int(p)] += count
    return m


def input_digits(row: Correction) -> list[np.ndarray]:
    """The 28×28 images the model saw, one per digit, as uint8 (white ink on black, like MNIST)."""
    strip = np.asarray(Image.open(io.BytesIO(row.input_png)).convert("L"))
    return [strip[:, i : i + 28] for i in range(0, strip.shape[1] - 27, 28)]


def training_samples() -> tuple[np.ndarray, np.ndarray, Counter]:
    """Kept corrections as labelled 28×28 digits (N×28×28 uint8, N labels) and what was skipped and why."""
    images, labels = [], []
    skipped: Counter = Counter()
    for row in db.session.scalars(select(Correction).where(Correction.status == "kept").order_by(Correction.id)):
        digits = input_digits(row)
        if len(digits) != len(row.truth):
            skipped["read with the wrong number of digits"] += 1
            continue
        images.extend(digits)
        labels.extend(int(c) for c in row.truth)
    if not images:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), skipped
    return np.stack(images), np.array(labels, dtype=np.uint8), skipped
