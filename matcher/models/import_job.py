"""A dry run or an import of a large list, done by a background worker."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from matcher.domain.vocab import (
    ACTIVE_IMPORT_STATUSES,
    IMPORT_FAILURES,
    IMPORT_KINDS,
    IMPORT_STATUSES,
)
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow
from matcher.models.tenant import TenantScoped

_ACTIVE = check_in("status", ACTIVE_IMPORT_STATUSES)


class ImportJob(TenantScoped, Base):
    """One dry run or import of an uploaded list: what was asked, how far it is, its result.

    It is queued by the import page, then a worker checks every row (checking) and, for
    an import whose rows are all fine, writes them (importing) in one transaction with
    "finished"; or it fails with a reason (`matcher.domain.import_jobs`). The uploaded
    file waits in the stash under `token` until then. While it works, the worker writes
    how many rows it has done and a heartbeat; a job whose heartbeat stopped is recorded
    as failed (`worker_lost`).
    """

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint(check_in("status", IMPORT_STATUSES), name="status_valid"),
        CheckConstraint(check_in("kind", IMPORT_KINDS), name="kind_valid"),
        CheckConstraint(
            f"failure IS NULL OR {check_in('failure', IMPORT_FAILURES)}", name="failure_valid"
        ),
        CheckConstraint("status <> 'failed' OR failure IS NOT NULL", name="failed_has_failure"),
        # The database itself keeps one import under way per agency: a double submit, even
        # a second admin's at the same moment, finds the one under way.
        Index(
            "uq_import_jobs_active_agency",
            "agency_id",
            unique=True,
            sqlite_where=text(_ACTIVE),
            postgresql_where=text(_ACTIVE),
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: True for a dry run (every row checked, nothing written).
    dry_run: Mapped[bool] = mapped_column(Boolean)
    #: "volunteers" or "newcomers".
    kind: Mapped[str] = mapped_column(String(16))
    #: The upload's token in the stash (`matcher.services.lists.imports.stash`).
    token: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255), default="")
    #: Field name → the file's column index (None: not in the file).
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The language of the admin who started it: the worker words field labels in it.
    locale: Mapped[str] = mapped_column(String(8), default="de")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    #: The file's rows, and how many are checked (checking) or written (importing).
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    #: The result: new people, people already there, new people without consent.
    new: Mapped[int] = mapped_column(Integer, default=0)
    existing: Mapped[int] = mapped_column(Integer, default=0)
    without_consent: Mapped[int] = mapped_column(Integer, default=0)
    #: How many problems the rows have, and the first of them (row, column, code, params).
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: The queue's id of the job that does it.
    job_id: Mapped[str | None] = mapped_column(String(64))
    #: The worker's last sign of life; a job whose heartbeat stops is failed as lost.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why it failed (a code of IMPORT_FAILURES), and the technical detail.
    failure: Mapped[str | None] = mapped_column(String(32))
    failure_detail: Mapped[str | None] = mapped_column(Text)

    @property
    def active(self) -> bool:
        """Still under way (queued or working)."""
        return self.status in ACTIVE_IMPORT_STATUSES

    @property
    def imported(self) -> bool:
        """An import that wrote its rows (every row was fine)."""
        return not self.dry_run and self.status == "finished" and self.error_count == 0
