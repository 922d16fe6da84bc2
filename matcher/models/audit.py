"""The audit log: who saw, changed, approved or exported what — the fact, never the data."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """One audited action on one object."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # One agency's log, newest first, a page at a time (the log of all agencies pages
        # through the index of `at`).
        Index("ix_audit_events_agency_at", "agency_id", "at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[int | None] = mapped_column(Integer)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="SET NULL"))
