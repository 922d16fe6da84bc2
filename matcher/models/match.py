"""The Patenschaft: a volunteer–newcomer pair with a lifecycle and a kept history."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.domain.eligibility import MatchRules
from matcher.domain.vocab import END_REASONS, MATCH_ATTENTIONS, MATCH_STATUSES, OPEN_MATCH_STATUSES
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow
from matcher.models.newcomer import Newcomer
from matcher.models.tenant import TenantScoped
from matcher.models.volunteer import Volunteer

_OPEN = check_in("status", OPEN_MATCH_STATUSES)


class Match(MatchRules, TenantScoped, Base):
    """A proposed, approved, running or finished Patenschaft."""

    __tablename__ = "matches"
    __table_args__ = (
        CheckConstraint(check_in("status", MATCH_STATUSES), name="status_valid"),
        CheckConstraint(
            f"end_reason IS NULL OR {check_in('end_reason', END_REASONS)}",
            name="end_reason_valid",
        ),
        CheckConstraint("status <> 'ended' OR end_reason IS NOT NULL", name="ended_has_reason"),
        CheckConstraint(
            f"attention IS NULL OR {check_in('attention', MATCH_ATTENTIONS)}",
            name="attention_valid",
        ),
        # The database itself keeps one open match per newcomer.
        Index(
            "uq_matches_open_newcomer",
            "newcomer_id",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
        # Every query here is one agency's (matcher.tenancy), and most ask for a status:
        # the proposals, the Patenschaften by status, counts, pinned and ruled-out pairs.
        # An index of status alone would find all 200 agencies' proposals.
        Index("ix_matches_agency_status", "agency_id", "status"),
        # The Patenschaften, newest first, a page at a time. Without it PostgreSQL walks the
        # primary key backwards through every agency's newest matches (22,000 rows of other
        # agencies for the first 20 of one, among 200 agencies).
        Index("ix_matches_agency_newest", "agency_id", "id"),
        NEVER_REUSE_IDS,
    )
    # The composite indexes above lead with agency_id and serve lookups by agency alone.
    agency_id_indexed = False

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    newcomer_id: Mapped[int] = mapped_column(
        ForeignKey("newcomers.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("match_runs.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    score: Mapped[float | None] = mapped_column(Float)
    components: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    trial_until: Mapped[date | None] = mapped_column(Date)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    end_reason: Mapped[str | None] = mapped_column(String(16))
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reject_reason: Mapped[str] = mapped_column(String(500), default="")
    # A proposal a coordinator chose by hand ("Stattdessen vorschlagen"): later runs keep it.
    picked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Set when something happened that the coordinator must look at (e.g. the volunteer
    # withdrew their consent while the Patenschaft runs); cleared when they have.
    attention: Mapped[str | None] = mapped_column(String(32))
    attention_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic locking: an UPDATE from a stale form matches no row and fails.
    version: Mapped[int] = mapped_column(Integer, default=1)

    volunteer: Mapped[Volunteer] = relationship()
    newcomer: Mapped[Newcomer] = relationship()
    events: Mapped[list["MatchEvent"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="MatchEvent.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        """Proposed, approved, active or paused."""
        return self.status in OPEN_MATCH_STATUSES


class MatchEvent(Base):
    """One step in a Patenschaft's history: who moved it from which status to which, when."""

    __tablename__ = "match_events"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
