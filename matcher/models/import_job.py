"""A dry run or an import of a large list, done by a background worker."""

from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from matcher.domain.vocab import (
    ACTIVE_IMPORT_STATUSES,
    IMPORT_FAILURES,
    IMPORT_KINDS,
    IMPORT_STATUSES,
)
from matcher.models.background import BackgroundWork, table_args
from matcher.models.base import Base, check_in


class ImportJob(BackgroundWork, Base):
    """One dry run or import of an uploaded list: what was asked, how far it is, its result.

    It is queued by the import page, then a worker checks every row (checking) and, for
    an import whose rows are all fine, writes them (importing) in one transaction with
    "finished"; or it fails with a reason (`matcher.domain.import_jobs`). The uploaded
    file waits in the stash under `token` until then. While it works, the worker writes
    how many rows it has done and a heartbeat; a job whose heartbeat stopped is recorded
    as failed (`worker_lost`). The status, heartbeat and failure columns, and the rule of
    one import under way per agency, are `BackgroundWork`'s.
    """

    __tablename__ = "import_jobs"
    STATUSES = IMPORT_STATUSES
    ACTIVE_STATUSES = ACTIVE_IMPORT_STATUSES
    FAILURES = IMPORT_FAILURES
    __table_args__ = table_args(
        __tablename__,
        STATUSES,
        ACTIVE_STATUSES,
        FAILURES,
        CheckConstraint(check_in("kind", IMPORT_KINDS), name="kind_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
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

    @property
    def imported(self) -> bool:
        """An import that wrote its rows (every row was fine)."""
        return not self.dry_run and self.status == "finished" and self.error_count == 0
