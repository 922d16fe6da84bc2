"""An import job's status changes, written once: one transition table and one `advance()`.

    queued → checking → importing → finished      (an import whose rows are all fine)
                  └────────────────→ finished      (a dry run, or rows with problems)
       └─────────┴──────────┴──────→ failed (with a reason)

Built as a matching run's are (`matcher.domain.runs`): the table is
`matcher.domain.transitions`' kind, and a worker reports its progress in its own short
transactions, on a connection of its own, so the admin's page sees each step while the
work is still open; only `finish` goes into the transaction that writes the imported
rows, so the rows and "finished" commit together, or neither. Every change is a
conditional UPDATE on the statuses it may start from: a job that was failed meanwhile
(its worker was declared lost) refuses the worker's next step, and the worker stops
without writing anything (`ImportGone`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, update
from sqlalchemy.orm import Session, scoped_session

from matcher.domain.transitions import Machine, Transition
from matcher.domain.vocab import ACTIVE_IMPORT_STATUSES, IMPORT_FAILURES
from matcher.models import ImportJob, utcnow

IMPORT_JOB = Machine(
    "import_job",
    {
        # A worker takes the queued job and reads every row of the file.
        "check": Transition(("queued",), "checking", button=False),
        # Every row is fine and it is no dry run: the rows are written.
        "write": Transition(("checking",), "importing", button=False),
        # A dry run, or rows with problems, end after checking; an import in the
        # transaction that writes its rows.
        "finish": Transition(
            ("checking", "importing"), "finished", stamp="finished", button=False
        ),  # fmt: skip
        # From anywhere under way: an error, a lost worker or job, a file gone.
        "fail": Transition(ACTIVE_IMPORT_STATUSES, "failed", stamp="finished", button=False),
    },
)

Executor = Connection | Session | scoped_session[Any]


class ImportGone(Exception):
    """The job is not where this step expected it: it failed meanwhile (declared lost) or
    another worker took it. The worker stops and writes nothing."""

    def __init__(self, job_id: int, change: str) -> None:
        super().__init__(f"import job {job_id} cannot {change} any more")
        self.job_id = job_id
        self.change = change


class ImportFailed(Exception):
    """The job cannot be done: `failure` (a code of IMPORT_FAILURES) says why, `detail`
    gives the technical words."""

    def __init__(self, failure: str, detail: str = "") -> None:
        super().__init__(f"{failure}: {detail}" if detail else failure)
        self.failure = failure
        self.detail = detail


def advance(
    executor: Executor,
    job_id: int,
    change: str,
    *,
    values: Mapping[str, Any] | None = None,
    failure: str | None = None,
    detail: str = "",
) -> int:
    """Make one change of an import job with a conditional UPDATE; stamp the heartbeat.

    :param executor: a connection in its own short transaction (progress) or the session
        whose transaction writes the rows (`finish`).
    :param values: further columns to set in the same UPDATE (counts, the problems).
    :param failure: for `fail`, a code of IMPORT_FAILURES.
    :return: the job's agency.
    :raises ImportGone: the job was not in a status this change starts from.
    :raises ValueError: an unknown change or failure code.
    """
    transition = IMPORT_JOB.transitions.get(change)
    if transition is None:
        raise ValueError(f"unknown change of an import job: {change}")
    now = utcnow()
    row: dict[str, Any] = {"status": transition.target, "heartbeat_at": now, **(values or {})}
    if transition.stamp:
        row[f"{transition.stamp}_at"] = now
    if change == "fail":
        if failure not in IMPORT_FAILURES:
            raise ValueError(f"unknown failure of an import job: {failure}")
        row["failure"] = failure
        row["failure_detail"] = detail[:2000]
    agency_id = executor.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status.in_(transition.sources))
        .values(**row)
        .returning(ImportJob.agency_id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if agency_id is None:
        raise ImportGone(job_id, change)
    return int(agency_id)


def touch(executor: Executor, job_id: int, **values: Any) -> bool:
    """Record progress of a job under way (rows done) and a heartbeat.

    :return: False when the job is no longer under way (then nothing is written).
    """
    result = executor.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status.in_(ACTIVE_IMPORT_STATUSES))
        .values(heartbeat_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
