"""The columns and database rules of work a background worker does: a run, an import job."""

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import SchemaItem

from matcher.models.base import NEVER_REUSE_IDS, UTCDateTime, check_in, utcnow
from matcher.models.tenant import TenantScoped


class BackgroundWork(TenantScoped):
    """Mixin for one agency's tracked work: who asked for it and when, its status, the
    queue's job, the worker's heartbeat, when it ended and why it failed.

    A worker takes it from "queued" through its steps to "finished", or to "failed" with a
    reason (`matcher.domain.background`). While it works, the worker writes a heartbeat; work
    whose heartbeat stopped is recorded as failed (`worker_lost`). Each model names its
    statuses, those under way and its failure codes, and builds its table's rules with
    `table_args`.
    """

    #: The model's statuses, those under way (queued or working), and its failure codes.
    STATUSES: ClassVar[tuple[str, ...]]
    ACTIVE_STATUSES: ClassVar[tuple[str, ...]]
    FAILURES: ClassVar[tuple[str, ...]]

    if TYPE_CHECKING:  # each model declares its primary key first, in its own columns
        id: Mapped[int]

    #: When it was asked for (queued).
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    #: The queue's id of the job that does it (none when the command line runs a run).
    job_id: Mapped[str | None] = mapped_column(String(64))
    #: The worker's last sign of life; work whose heartbeat stops is failed as lost.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why it failed (one of `FAILURES`), and the technical detail.
    failure: Mapped[str | None] = mapped_column(String(32))
    failure_detail: Mapped[str | None] = mapped_column(Text)

    @property
    def active(self) -> bool:
        """Still under way (queued or working)."""
        return self.status in self.ACTIVE_STATUSES


def table_args(
    table: str,
    statuses: tuple[str, ...],
    active: tuple[str, ...],
    failures: tuple[str, ...],
    *more: SchemaItem,
) -> tuple[Any, ...]:
    """The `__table_args__` of a `BackgroundWork` model: its rules, then `more` of its own.

    The database itself keeps one piece of work under way per agency (a partial unique
    index): a second click or submit, even a second person's at the same moment, finds the
    one under way.
    """
    under_way = check_in("status", active)
    return (
        CheckConstraint(check_in("status", statuses), name="status_valid"),
        *more,
        CheckConstraint(
            f"failure IS NULL OR {check_in('failure', failures)}", name="failure_valid"
        ),
        CheckConstraint("status <> 'failed' OR failure IS NOT NULL", name="failed_has_failure"),
        Index(
            f"uq_{table}_active_agency",
            "agency_id",
            unique=True,
            sqlite_where=text(under_way),
            postgresql_where=text(under_way),
        ),
        NEVER_REUSE_IDS,
    )
