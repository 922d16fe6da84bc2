"""Large imports as background jobs: start one per agency, follow it, record what failed.

Tracked background work, as matching runs are (`matcher.services.matching.runs`); what
the two share is `matcher.services.platform.background`, and an import job gives its own
words and progress:

- `start()` queues a dry run or an import of a stashed upload. The database keeps one
  import job under way per agency (a partial unique index): a double submit, even a
  second admin's at the same moment, gets the job already under way.
- `Progress` is the worker's side channel: each step (checking, importing) and, from a
  thread, the rows done so far and a heartbeat are written in their own short
  transactions, on a connection of their own, so the job's page sees them at once.
- `execute()` is the work: check every row (the same `imports.check` as in a request)
  and, for an import whose rows are all fine, write them (`imports.write`) in the
  caller's one transaction, with "finished". A dry run, or rows with problems, end
  finished with the problems noted (row numbers and codes; the page words them).
- `reap()` records as failed the jobs whose worker is gone (no heartbeat for
  `JOBS_STALE_SECONDS`) or whose job was lost before a worker took it.

The job that drives it is `matcher.jobs_tasks.perform_import`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from matcher.domain.background import WorkFailed
from matcher.domain.errors import Conflict, NotFound, ServiceError
from matcher.domain.import_jobs import IMPORT_JOB
from matcher.extensions import db
from matcher.models import Agency, ImportJob, User, utcnow
from matcher.services.lists import imports
from matcher.services.platform import background as tracked

log = logging.getLogger(__name__)

IMPORT_JOBS = tracked.Kind(IMPORT_JOB, failed_action="import.failed", label="import job", log=log)
#: The problems a job keeps (and its page lists); the count says how many there were.
MAX_ERRORS = 1000


@dataclass(frozen=True)
class Started:
    """The job a click led to, and whether the click started it (or found it under way)."""

    job: ImportJob
    created: bool


def active(agency_id: int) -> ImportJob | None:
    """The agency's import job under way, if any (there is at most one)."""
    return tracked.active(IMPORT_JOBS, agency_id)


def follow(job: ImportJob) -> ImportJob:
    """A job as a page shows it: if it is under way, its agency's lost jobs are reaped
    first, so a job whose worker was killed reads as failed, with the reason."""
    return tracked.follow(IMPORT_JOBS, job)


def start(
    agency: Agency,
    actor: User,
    *,
    token: str,
    upload: dict[str, Any],
    mapping: dict[str, int | None],
    dry_run: bool,
    locale: str,
) -> Started:
    """Queue a dry run or an import of a stashed upload, or return the agency's job under
    way; flushes. Its job goes on the queue when the caller commits.

    Lost jobs of the agency are reaped first, so a killed worker never blocks the page
    (`matcher.services.platform.background.start`).

    :param upload: what `imports.upload` knows of the file (filename, kind, rows).
    :param locale: the admin's language: the worker words field labels in it.
    """
    job, created = tracked.start(
        IMPORT_JOBS,
        agency.id,
        {
            "started_by_id": actor.id,
            "started_at": utcnow(),
            "dry_run": dry_run,
            "kind": upload["kind"],
            "token": token,
            "filename": str(upload.get("filename") or "")[:255],
            "mapping": mapping,
            "locale": locale,
            "rows_total": int(upload.get("rows") or 0),
        },
    )
    if created:
        # The file's day in the stash starts anew: it waits there for the worker.
        imports.keep(token)
        from matcher import jobs_tasks

        jobs_tasks.enqueue_import(job)
    return Started(job, created)


def execute(job: ImportJob, agency: Agency, actor: User | None, progress: Progress) -> bool:
    """Check the job's file and, for an import whose rows are all fine, write them; flushes
    (the caller commits: the rows and "finished" together).

    Run in the agency's scope and the admin's language (field labels are worded).

    :return: True when rows were imported (the upload can go).
    :raises WorkFailed: the file is gone, or someone imported the same people meanwhile.
    :raises WorkGone: the job failed meanwhile (its worker was declared lost).
    """
    if actor is None:
        raise WorkFailed("error", "the admin who started the import no longer exists")
    try:
        meta, table = imports.load(job.token)
    except NotFound:
        raise WorkFailed("upload_gone", "the uploaded file is no longer in the stash") from None
    if meta.get("kind") != job.kind or meta.get("agency_id") != job.agency_id:
        raise WorkFailed("upload_gone", "the stash holds another file under this token")
    mapping = {name: (None if i is None else int(i)) for name, i in job.mapping.items()}
    try:
        plan = imports.check(job.kind, agency, table, mapping, progress=progress.report)
        result = _result(plan)
        if job.dry_run or not plan.ok:
            IMPORT_JOB.advance(db.session, job.id, "finish", values=result)
            return False
        progress.advance("write", values={**result, "rows_done": 0})
        imports.write(plan, agency, actor, progress=progress.report)
    except Conflict as e:
        raise WorkFailed("rows_taken", e.code) from None
    except ServiceError as e:  # the mapping no longer fits the file: the form checks that
        raise WorkFailed("error", e.code) from None
    IMPORT_JOB.advance(db.session, job.id, "finish", values={"rows_done": plan.new})
    return True


def _result(plan: imports.Plan) -> dict[str, Any]:
    """The columns a checked plan fills in: its counts and its first problems."""
    return {
        "rows_done": plan.rows,
        "new": plan.new,
        "existing": plan.existing,
        "without_consent": plan.without_consent,
        "error_count": len(plan.errors),
        "errors": [[e.row, e.column, e.code, dict(e.params)] for e in plan.errors[:MAX_ERRORS]],
    }


def plan_of(job: ImportJob) -> imports.Plan:
    """A finished job's result as the plan a check in the request gives (its problems as
    far as the job kept them)."""
    return imports.Plan(
        kind=job.kind,
        rows=job.rows_total,
        new=job.new,
        existing=job.existing,
        without_consent=job.without_consent,
        errors=[
            imports.RowError(row, column, code, params or {})
            for row, column, code, params in job.errors or []
        ],  # fmt: skip
    )


def fail(job_id: int, failure: str, detail: str, actor: User | None) -> bool:
    """Record a job under way as failed, with its reason (audited); flushes.

    :return: False when the job was no longer under way (nothing changed).
    """
    return tracked.record_failure(IMPORT_JOBS, db.session, job_id, failure, detail, actor)


def reap(agency_id: int | None = None) -> list[int]:
    """Record as failed the jobs whose worker or job is gone; return their ids; flushes.

    :param agency_id: one agency's jobs; None for every job in scope (the consumer).
    """
    return tracked.reap(IMPORT_JOBS, agency_id)


class Progress(tracked.Progress):
    """A worker's reports on one import job: its steps (check, write), the rows done and a
    heartbeat, each committed at once on a connection of its own.

    The rows done are counted in memory (`report`, called by the import every few
    hundred rows) and written with the heartbeat by a thread (`heartbeat`), so the
    import never waits for its own progress. On SQLite the writing transaction holds the
    database's one write lock: while rows are written, the count and heartbeat wait
    until it commits (a heartbeat that cannot be written is tried again).
    """

    kind = IMPORT_JOBS
    THREAD = "heartbeat-import"
    UNWRITTEN = "progress of import job %s not written: %s"
    #: How often at most the rows done are written while they change.
    PROGRESS_SECONDS = 0.5

    def __init__(self, engine: Engine, job_id: int) -> None:
        super().__init__(engine, job_id)
        self.done = 0
        self._written = -1

    def advance(self, change: str, values: Mapping[str, Any] | None = None) -> None:
        """Move the job one step on (check, write) and commit that at once.

        :raises WorkGone: the job failed meanwhile (its worker was declared lost).
        """
        if values and "rows_done" in values:
            self.done = self._written = int(values["rows_done"])
        super().advance(change, values)

    def report(self, rows: int) -> None:
        """The rows checked (while checking) or written (while importing) so far."""
        self.done = rows

    def beat(self) -> bool:
        """Write the rows done and a heartbeat; False once the job is no longer under way."""
        done = self.done
        alive = self.touch(rows_done=done)
        self._written = done
        return alive

    def behind(self) -> bool:
        """Whether rows were done since the last beat."""
        return self.done != self._written
