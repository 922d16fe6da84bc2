"""The mail outbox: mail is written in the same transaction as the data it belongs to."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow

OUTBOX_STATUSES = ("pending", "sent", "failed")


class OutboxMessage(Base):
    """One mail waiting to be sent, sent, or given up on after too many attempts."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(check_in("status", OUTBOX_STATUSES), name="status_valid"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What kind of mail, e.g. "signup_confirm"; never the data itself in the audit log.
    kind: Mapped[str] = mapped_column(String(64))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker claims a message until this time; a crashed worker's claim runs out.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
