"""The corrections table: what people told us the model got right or wrong. No personal data beyond the image."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, Float, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digitpred.extensions import db


def utcnow() -> dt.datetime:
    """Naive UTC: the same on SQLite (no time zones) and PostgreSQL."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Correction(db.Model):
    __tablename__ = "corrections"
    __table_args__ = (
        # One row per image, mode and true answer: a submission sent twice (a double click, a retry) is stored once.
        UniqueConstraint("image_sha256", "mode", "truth"),
        CheckConstraint("mode IN ('digit', 'number')", name="mode"),
        CheckConstraint("status IN ('kept', 'discarded')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    mode: Mapped[str] = mapped_column(String(6))
    # The answers as digit strings: "7" for a digit, "2026" for a number.
    predicted: Mapped[str] = mapped_column(String(32), index=True)
    truth: Mapped[str] = mapped_column(String(32), index=True)
    confidence: Mapped[float] = mapped_column(Float)
    # What the model saw: one 28×28 greyscale PNG, or for a number the digits' 28×28 images side by side.
    input_png: Mapped[bytes] = mapped_column(LargeBinary)
    # The image as sent, when it is no larger than CORRECTIONS_MAX_ORIGINAL_BYTES; its size either way.
    original: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    original_size: Mapped[int] = mapped_column(Integer)
    image_sha256: Mapped[str] = mapped_column(String(64))
    # sha256 of the model file that made the prediction.
    model_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(9), default="kept", index=True)

    @property
    def wrong(self) -> bool:
        return self.predicted != self.truth

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(timespec="seconds") + "Z",
            "mode": self.mode,
            "predicted": self.predicted,
            "truth": self.truth,
            "confidence": round(self.confidence, 6),
            "model_sha256": self.model_sha256,
            "status": self.status,
            "original_kept": self.original is not None,
        }
