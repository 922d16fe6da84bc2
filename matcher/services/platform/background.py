"""Tracked background work, written once: start it, follow it, reap it, report its progress.

A matching run (`matcher.services.matching.runs`) and an import job
(`matcher.services.lists.import_jobs`) are run alike; each gives a `Kind` — its domain
description (`matcher.domain.background.Work`), the audit action of its failure, its name
in log lines and its logger — and a `Progress` with what progress means for it (the
solver's round, the rows done). What is the same lives here:

- `start()` inserts queued work unless its agency has some under way: the database keeps
  one per agency (a partial unique index), so a second click, even a second person's at
  the same moment, gets the one under way instead of a new one.
- `record_failure()` records work under way as failed, with its reason (audited).
- `reap()` records as failed the work whose worker is gone: a heartbeat older than
  `JOBS_STALE_SECONDS` (the worker was killed), or queued work whose job is neither
  waiting in the queue nor taken (it was lost). The consumer reaps when it starts and
  every minute; the pages reap their agency's work too (`follow`).
- `Progress` is the worker's side channel: each step and, from a thread, the progress and
  a heartbeat are written in their own short transactions, on a connection of their
  own, so the pages see them while the work itself stays one transaction.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, Generic

from flask import current_app
from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session

from matcher import jobs
from matcher.domain import audit
from matcher.domain.background import FAIL, W, Work, WorkGone
from matcher.extensions import db
from matcher.models import User, utcnow


@dataclass(frozen=True)
class Kind(Generic[W]):
    """How the services speak of one kind of work."""

    work: Work[W]
    #: The audit action of a failure ("match.run_failed").
    failed_action: str
    #: Its name in log lines ("matching run").
    label: str
    #: The logger of its service, so its log lines keep their origin.
    log: logging.Logger


def active(kind: Kind[W], agency_id: int) -> W | None:
    """The agency's work of this kind under way, if any (there is at most one)."""
    model = kind.work.model
    return db.session.scalar(
        select(model).where(model.agency_id == agency_id, model.status.in_(kind.work.active))
    )


def follow(kind: Kind[W], row: W) -> W:
    """Work as a page shows it: if it is under way, its agency's lost work is reaped first,
    so work whose worker was killed reads as failed, with the reason."""
    if row.active and reap(kind, row.agency_id):
        db.session.refresh(row)
    return row


def start(kind: Kind[W], agency_id: int, values: Mapping[str, Any]) -> tuple[W, bool]:
    """Insert queued work for the agency, or find the one under way; flushes.

    Lost work of the agency is reaped first, so a killed worker never blocks the button.
    The insert does nothing when the agency has work under way (the unique index
    decides, also between two requests at the same moment).

    :param values: the new row's columns besides its agency and status.
    :return: the row, and whether it was inserted now (False: it was under way).
    """
    reap(kind, agency_id)
    model = kind.work.model
    for _ in range(3):
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        created = db.session.scalar(
            dialect.insert(model)
            .values(agency_id=agency_id, status="queued", **values)
            .on_conflict_do_nothing()
            .returning(model.id)
        )
        if created is not None:
            row = db.session.get(model, created)
            assert row is not None
            return row, True
        running = active(kind, agency_id)
        if running is not None:
            return running, False
        # The work under way ended between the insert and the look-up: try again.
    noun = kind.work.noun
    raise RuntimeError(f"no {noun} could be started or found for agency {agency_id}")


def record_failure(
    kind: Kind[Any],
    session: Session | scoped_session[Any],
    work_id: int,
    failure: str,
    detail: str,
    actor: User | None,
) -> bool:
    """Record work under way as failed, with its reason (audited); flushes.

    :return: False when the work was no longer under way (nothing changed).
    """
    try:
        agency_id = kind.work.advance(session, work_id, FAIL, failure=failure, detail=detail)
    except WorkGone:
        return False
    audit.record(
        session,
        kind.failed_action,
        actor=actor,
        object_type=audit.OBJECT_TYPES[kind.work.model.__tablename__],
        object_id=work_id,
        agency_id=agency_id,
    )
    session.flush()
    return True


def stale_seconds() -> int:
    """After how many seconds without a heartbeat a worker counts as gone."""
    return int(current_app.config["JOBS_STALE_SECONDS"])


def reap(kind: Kind[Any], agency_id: int | None = None) -> list[int]:
    """Record as failed the work whose worker or job is gone; return its ids; flushes.

    Only reads, unless there is something to reap (pages call this on every view).

    :param agency_id: one agency's work; None for all work in scope (the consumer).
    """
    model = kind.work.model
    stale = utcnow() - timedelta(seconds=stale_seconds())
    stmt = select(model.id, model.status, model.job_id, model.heartbeat_at).where(
        or_(
            and_(
                model.status.in_(kind.work.working),
                func.coalesce(model.heartbeat_at, model.started_at) < stale,
            ),
            and_(model.status == "queued", model.started_at < stale),
        )
    )
    if agency_id is not None:
        stmt = stmt.where(model.agency_id == agency_id)
    candidates = db.session.execute(stmt.order_by(model.id)).all()
    if not candidates:
        return []
    waiting = jobs.pending_ids() if any(c.status == "queued" for c in candidates) else None
    reaped = []
    for work_id, status, queue_id, heartbeat_at in candidates:
        if status == "queued":
            if waiting is None or (queue_id is not None and queue_id in waiting):
                continue  # still waiting for a worker (or the queue cannot tell)
            failure, detail = "not_picked_up", "the job is no longer in the queue"
        else:
            failure = "worker_lost"
            seen = heartbeat_at.isoformat(timespec="seconds") if heartbeat_at else "never"
            detail = f"no sign of life from the worker since {seen} (while {status})"
        if record_failure(kind, db.session, work_id, failure, detail, None):
            kind.log.warning("%s %s failed: %s (%s)", kind.label, work_id, failure, detail)
            reaped.append(work_id)
    return reaped


class Progress:
    """A worker's reports on one piece of work, each in its own short transaction on its
    own connection: pages see them at once, and the work itself stays one transaction.

    A kind says what its progress is: columns written with each heartbeat (`beat`), and
    whether there is progress not yet written (`behind`), which the heartbeat thread then
    writes every `PROGRESS_SECONDS` rather than waiting for the next heartbeat.
    """

    kind: ClassVar[Kind[Any]]
    #: The name of the heartbeat thread, before the work's id ("heartbeat-run").
    THREAD: ClassVar[str]
    #: The log line of a progress or heartbeat that could not be written (id, error).
    UNWRITTEN: ClassVar[str]
    #: How often at most progress not yet written is written (None: with the heartbeat).
    PROGRESS_SECONDS: ClassVar[float | None] = None

    def __init__(self, engine: Engine, work_id: int) -> None:
        self.engine = engine
        self.work_id = work_id

    def advance(self, change: str, values: Mapping[str, Any] | None = None) -> None:
        """Move the work one step on and commit that at once.

        :raises WorkGone: the work failed meanwhile (its worker was declared lost).
        """
        with self.engine.begin() as conn:
            self.kind.work.advance(conn, self.work_id, change, values=values)

    def touch(self, **values: Any) -> bool:
        """Write progress (columns) and a heartbeat at once; False once the work is no
        longer under way (then nothing is written)."""
        with self.engine.begin() as conn:
            return self.kind.work.touch(conn, self.work_id, **values)

    def beat(self) -> bool:
        """Write a heartbeat; False once the work is no longer under way."""
        return self.touch()

    def behind(self) -> bool:
        """Whether there is progress the last `beat` did not write."""
        return False

    def fail(self, failure: str, detail: str, actor_id: int | None = None) -> bool:
        """Record the work as failed in a transaction of its own (audited); False when it
        was no longer under way."""
        with Session(self.engine) as session, session.begin():
            actor = session.get(User, actor_id) if actor_id is not None else None
            return record_failure(self.kind, session, self.work_id, failure, detail, actor)

    @contextmanager
    def heartbeat(self, every: float) -> Iterator[None]:
        """While the block runs, `beat` from a thread at least every `every` seconds, and
        sooner (every `PROGRESS_SECONDS`) while progress is `behind`.

        A beat that cannot be written (SQLite's write lock held by the work's own
        transaction, a database restart) is tried again at the next tick. The thread
        stops once the work is no longer under way.
        """
        stop = threading.Event()
        tick = every if self.PROGRESS_SECONDS is None else min(every, self.PROGRESS_SECONDS)

        def beat() -> None:
            since = 0.0
            while not stop.wait(tick):
                since += tick
                if not self.behind() and since < every:
                    continue
                try:
                    if not self.beat():
                        return
                    since = 0.0
                except SQLAlchemyError as e:
                    self.kind.log.info(self.UNWRITTEN, self.work_id, e)

        name = f"{self.THREAD}-{self.work_id}"
        thread = threading.Thread(target=beat, name=name, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=every + 15)
