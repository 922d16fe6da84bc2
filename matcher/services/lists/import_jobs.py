"""Large imports as background jobs: start one per agency, follow it, record what failed.

Built as matching runs are (`matcher.services.matching.runs`):

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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session

from matcher import jobs
from matcher.domain import audit
from matcher.domain.errors import Conflict, NotFound, ServiceError
from matcher.domain.import_jobs import ImportFailed, ImportGone, advance, touch
from matcher.domain.vocab import ACTIVE_IMPORT_STATUSES
from matcher.extensions import db
from matcher.models import Agency, ImportJob, User, utcnow
from matcher.services.lists import imports

log = logging.getLogger(__name__)

#: Statuses in which a worker holds the job and keeps its heartbeat.
WORKING = ("checking", "importing")
#: The problems a job keeps (and its page lists); the count says how many there were.
MAX_ERRORS = 1000


@dataclass(frozen=True)
class Started:
    """The job a click led to, and whether the click started it (or found it under way)."""

    job: ImportJob
    created: bool


def active(agency_id: int) -> ImportJob | None:
    """The agency's import job under way, if any (there is at most one)."""
    return db.session.scalar(
        select(ImportJob).where(
            ImportJob.agency_id == agency_id, ImportJob.status.in_(ACTIVE_IMPORT_STATUSES)
        )
    )


def follow(job: ImportJob) -> ImportJob:
    """A job as a page shows it: if it is under way, its agency's lost jobs are reaped
    first, so a job whose worker was killed reads as failed, with the reason."""
    if job.active and reap(job.agency_id):
        db.session.refresh(job)
    return job


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

    Lost jobs of the agency are reaped first, so a killed worker never blocks the page.
    The insert does nothing when the agency has a job under way (the unique index
    decides, also between two requests at the same moment).

    :param upload: what `imports.upload` knows of the file (filename, kind, rows).
    :param locale: the admin's language: the worker words field labels in it.
    """
    reap(agency.id)
    for _ in range(3):
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        created = db.session.scalar(
            dialect.insert(ImportJob)
            .values(
                agency_id=agency.id,
                started_by_id=actor.id,
                started_at=utcnow(),
                dry_run=dry_run,
                kind=upload["kind"],
                token=token,
                filename=str(upload.get("filename") or "")[:255],
                mapping=mapping,
                locale=locale,
                status="queued",
                rows_total=int(upload.get("rows") or 0),
            )
            .on_conflict_do_nothing()
            .returning(ImportJob.id)
        )
        if created is not None:
            job = db.session.get(ImportJob, created)
            assert job is not None
            # The file's day in the stash starts anew: it waits there for the worker.
            imports.keep(token)
            from matcher import jobs_tasks

            jobs_tasks.enqueue_import(job)
            return Started(job, True)
        running = active(agency.id)
        if running is not None:
            return Started(running, False)
        # The job under way ended between the insert and the look-up: try again.
    raise RuntimeError(f"no import job could be started or found for agency {agency.id}")


def execute(job: ImportJob, agency: Agency, actor: User | None, progress: Progress) -> bool:
    """Check the job's file and, for an import whose rows are all fine, write them; flushes
    (the caller commits: the rows and "finished" together).

    Run in the agency's scope and the admin's language (field labels are worded).

    :return: True when rows were imported (the upload can go).
    :raises ImportFailed: the file is gone, or someone imported the same people meanwhile.
    :raises ImportGone: the job failed meanwhile (its worker was declared lost).
    """
    if actor is None:
        raise ImportFailed("error", "the admin who started the import no longer exists")
    try:
        meta, table = imports.load(job.token)
    except NotFound:
        raise ImportFailed("upload_gone", "the uploaded file is no longer in the stash") from None
    if meta.get("kind") != job.kind or meta.get("agency_id") != job.agency_id:
        raise ImportFailed("upload_gone", "the stash holds another file under this token")
    mapping = {name: (None if i is None else int(i)) for name, i in job.mapping.items()}
    try:
        plan = imports.check(job.kind, agency, table, mapping, progress=progress.report)
        result = _result(plan)
        if job.dry_run or not plan.ok:
            advance(db.session, job.id, "finish", values=result)
            return False
        progress.advance("write", values={**result, "rows_done": 0})
        imports.write(plan, agency, actor, progress=progress.report)
    except Conflict as e:
        raise ImportFailed("rows_taken", e.code) from None
    except ServiceError as e:  # the mapping no longer fits the file: the form checks that
        raise ImportFailed("error", e.code) from None
    advance(db.session, job.id, "finish", values={"rows_done": plan.new})
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
    return _fail(db.session, job_id, failure, detail, actor)


def _fail(
    session: Session | scoped_session[Any],
    job_id: int,
    failure: str,
    detail: str,
    actor: User | None,
) -> bool:
    try:
        agency_id = advance(session, job_id, "fail", failure=failure, detail=detail)
    except ImportGone:
        return False
    audit.record(
        session,
        "import.failed",
        actor=actor,
        object_type="import_job",
        object_id=job_id,
        agency_id=agency_id,
    )
    session.flush()
    return True


def reap(agency_id: int | None = None) -> list[int]:
    """Record as failed the jobs whose worker or job is gone; return their ids; flushes.

    Only reads, unless there is something to reap (pages call this on every view).

    :param agency_id: one agency's jobs; None for every job in scope (the consumer).
    """
    stale = utcnow() - timedelta(seconds=int(current_app.config["JOBS_STALE_SECONDS"]))
    stmt = select(ImportJob.id, ImportJob.status, ImportJob.job_id, ImportJob.heartbeat_at).where(
        or_(
            and_(
                ImportJob.status.in_(WORKING),
                func.coalesce(ImportJob.heartbeat_at, ImportJob.started_at) < stale,
            ),
            and_(ImportJob.status == "queued", ImportJob.started_at < stale),
        )
    )
    if agency_id is not None:
        stmt = stmt.where(ImportJob.agency_id == agency_id)
    candidates = db.session.execute(stmt.order_by(ImportJob.id)).all()
    if not candidates:
        return []
    waiting = jobs.pending_ids() if any(c.status == "queued" for c in candidates) else None
    reaped = []
    for job_id, status, queue_id, heartbeat_at in candidates:
        if status == "queued":
            if waiting is None or (queue_id is not None and queue_id in waiting):
                continue  # still waiting for a worker (or the queue cannot tell)
            failure, detail = "not_picked_up", "the job is no longer in the queue"
        else:
            failure = "worker_lost"
            seen = heartbeat_at.isoformat(timespec="seconds") if heartbeat_at else "never"
            detail = f"no sign of life from the worker since {seen} (while {status})"
        if fail(job_id, failure, detail, None):
            log.warning("import job %s failed: %s (%s)", job_id, failure, detail)
            reaped.append(job_id)
    return reaped


class Progress:
    """A worker's reports on one import job, each in its own short transaction on its own
    connection: pages see them at once, and the import itself stays one transaction.

    The rows done are counted in memory (`report`, called by the import every few
    hundred rows) and written with the heartbeat by a thread (`heartbeat`), so the
    import never waits for its own progress. On SQLite the writing transaction holds the
    database's one write lock: while rows are written, the count and heartbeat wait
    until it commits (a heartbeat that cannot be written is tried again).
    """

    def __init__(self, engine: Engine, job_id: int) -> None:
        self.engine = engine
        self.job_id = job_id
        self.done = 0
        self._written = -1

    def advance(self, change: str, values: dict[str, Any] | None = None) -> None:
        """Move the job one step on (check, write) and commit that at once.

        :raises ImportGone: the job failed meanwhile (its worker was declared lost).
        """
        if values and "rows_done" in values:
            self.done = self._written = int(values["rows_done"])
        with self.engine.begin() as conn:
            advance(conn, self.job_id, change, values=values)

    def report(self, rows: int) -> None:
        """The rows checked (while checking) or written (while importing) so far."""
        self.done = rows

    def fail(self, failure: str, detail: str, actor_id: int | None = None) -> bool:
        """Record the job as failed in a transaction of its own (audited); False when it
        was no longer under way."""
        with Session(self.engine) as session, session.begin():
            actor = session.get(User, actor_id) if actor_id is not None else None
            return _fail(session, self.job_id, failure, detail, actor)

    def beat(self) -> bool:
        """Write the rows done and a heartbeat; False once the job is no longer under way."""
        done = self.done
        with self.engine.begin() as conn:
            alive = touch(conn, self.job_id, rows_done=done)
        self._written = done
        return alive

    @contextmanager
    def heartbeat(self, every: float) -> Iterator[None]:
        """While the block runs, write the rows done from a thread as they change (at most
        every `PROGRESS_SECONDS`), and a heartbeat at least every `every` seconds.

        A write that cannot be made (SQLite's write lock held by the import's own
        transaction, a database restart) is tried again at the next tick."""
        stop = threading.Event()
        tick = min(every, PROGRESS_SECONDS)

        def beat() -> None:
            since = 0.0
            while not stop.wait(tick):
                since += tick
                if self.done == self._written and since < every:
                    continue
                try:
                    if not self.beat():
                        return
                    since = 0.0
                except SQLAlchemyError as e:
                    log.info("progress of import job %s not written: %s", self.job_id, e)

        thread = threading.Thread(target=beat, name=f"heartbeat-import-{self.job_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=every + 15)


#: How often at most the rows done are written while they change.
PROGRESS_SECONDS = 0.5
