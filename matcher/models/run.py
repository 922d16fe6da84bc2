"""A run of the matching engine for one agency, from the queue to its proposals."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from matcher.domain.vocab import ACTIVE_RUN_STATUSES, RUN_FAILURES, RUN_STATUSES
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow
from matcher.models.tenant import TenantScoped

_ACTIVE = check_in("status", ACTIVE_RUN_STATUSES)


class MatchRun(TenantScoped, Base):
    """The parameters, progress, counts and duration of one engine run, and who started it.

    A run is queued by the web button (or the command line), then a worker moves it
    through building → solving → storing to finished, or to failed with a reason
    (`matcher.domain.runs`). While it works, the worker writes a heartbeat; a run whose
    heartbeat stopped is recorded as failed (`worker_lost`).
    """

    __tablename__ = "match_runs"
    __table_args__ = (
        CheckConstraint(check_in("status", RUN_STATUSES), name="status_valid"),
        CheckConstraint(
            f"failure IS NULL OR {check_in('failure', RUN_FAILURES)}", name="failure_valid"
        ),
        CheckConstraint("status <> 'failed' OR failure IS NOT NULL", name="failed_has_failure"),
        # The database itself keeps one run under way per agency: a second click, even a
        # second coordinator's at the same moment, finds the running one.
        Index(
            "uq_match_runs_active_agency",
            "agency_id",
            unique=True,
            sqlite_where=text(_ACTIVE),
            postgresql_where=text(_ACTIVE),
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: When the run was asked for (queued).
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    volunteers: Mapped[int] = mapped_column(Integer, default=0)
    newcomers: Mapped[int] = mapped_column(Integer, default=0)
    feasible_pairs: Mapped[int] = mapped_column(Integer, default=0)
    pairs: Mapped[int] = mapped_column(Integer, default=0)
    #: Seconds the worker spent, from taking the run to storing its proposals.
    seconds: Mapped[float | None] = mapped_column(Float)
    unmatched: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: The queue's id of the job that runs it (none when the command line runs it).
    job_id: Mapped[str | None] = mapped_column(String(64))
    #: The solver's round of certification while solving (1 for a problem solved whole).
    solver_round: Mapped[int | None] = mapped_column(Integer)
    #: The worker's last sign of life; a run whose heartbeat stops is failed as lost.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why a run failed (a code of RUN_FAILURES), and the technical detail.
    failure: Mapped[str | None] = mapped_column(String(32))
    failure_detail: Mapped[str | None] = mapped_column(Text)

    @property
    def active(self) -> bool:
        """Still under way (queued or working)."""
        return self.status in ACTIVE_RUN_STATUSES
