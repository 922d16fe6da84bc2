"""Check-ins: the regular look at how a Patenschaft is going, as a traffic light."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from matcher.domain.vocab import CHECKIN_LIGHTS
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in
from matcher.models.tenant import TenantScoped


class CheckIn(TenantScoped, Base):
    """A scheduled or recorded check-in of one match."""

    __tablename__ = "check_ins"
    __table_args__ = (
        CheckConstraint(
            f"light IS NULL OR {check_in('light', CHECKIN_LIGHTS)}", name="light_valid"
        ),
        # Check-ins still to be held, by agency and date: the dashboard, the overdue list
        # and the daily reminders. Recorded ones, the many, are not in it.
        Index(
            "ix_check_ins_pending",
            "agency_id",
            "due_on",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The day the conversation took place (it may be recorded later, or before it was due).
    held_on: Mapped[date | None] = mapped_column(Date)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    light: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, default="")
    # Set when the volunteer was reminded of this check-in: one reminder each.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
