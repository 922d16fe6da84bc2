"""Matching runs as background jobs: start one per agency, follow it, record what failed.

- `start()` queues a run. The database keeps one run under way per agency (a partial
  unique index): a second click, even a second coordinator's at the same moment, gets
  the run already under way instead of a new one.
- `Progress` is the worker's side channel: each step (building, solving with the
  solver's round, storing) and a heartbeat are written in their own short transactions,
  on a connection of their own, so the run page sees them while the run works.
- `reap()` records as failed the runs whose worker is gone: a heartbeat older than
  `JOBS_STALE_SECONDS` (the worker was killed), or a queued run whose job is neither
  waiting in the queue nor taken (it was lost). The consumer reaps when it starts and
  every minute; the run page and the run button reap the agency's runs too.

The work itself — build, solve, store — is `matcher.services.matching.run.execute`;
the job that drives it is `matcher.jobs_tasks.perform_run`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session

from matcher import jobs
from matcher.domain import audit
from matcher.domain.runs import RunGone, advance, touch
from matcher.domain.vocab import ACTIVE_RUN_STATUSES
from matcher.extensions import db
from matcher.models import Agency, MatchRun, User, utcnow

log = logging.getLogger(__name__)

#: Statuses in which a worker holds the run and keeps its heartbeat.
WORKING = ("building", "solving", "storing")


@dataclass(frozen=True)
class Started:
    """The run a click led to, and whether the click started it (or found it under way)."""

    run: MatchRun
    created: bool


def active(agency_id: int) -> MatchRun | None:
    """The agency's run under way, if any (there is at most one)."""
    return db.session.scalar(
        select(MatchRun).where(
            MatchRun.agency_id == agency_id, MatchRun.status.in_(ACTIVE_RUN_STATUSES)
        )
    )


def latest(agency_id: int) -> MatchRun | None:
    """The agency's most recent run, whatever its status."""
    return db.session.scalar(
        select(MatchRun)
        .where(MatchRun.agency_id == agency_id)
        .order_by(MatchRun.id.desc())
        .limit(1)
    )


def follow(matching_run: MatchRun) -> MatchRun:
    """A run as a page shows it: if it is under way, its agency's lost runs are reaped
    first, so a run whose worker was killed reads as failed, with the reason."""
    if matching_run.active and reap(matching_run.agency_id):
        db.session.refresh(matching_run)
    return matching_run


def current(agency_id: int) -> MatchRun | None:
    """The agency's latest run, as its pages show it (see `follow`)."""
    latest_run = latest(agency_id)
    return follow(latest_run) if latest_run is not None else None


def start(agency: Agency, actor: User | None, *, on: date, background: bool = True) -> Started:
    """Queue a run for the agency, or return the one under way; flushes.

    Stale runs of the agency are reaped first, so a killed worker never blocks the
    button. The insert does nothing when the agency has a run under way (the unique
    index decides, also between two requests at the same moment).

    :param background: put the run's job on the queue once the caller commits; False
        when the caller runs it itself (`flask match run`).
    """
    reap(agency.id)
    for _ in range(3):
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        created = db.session.scalar(
            dialect.insert(MatchRun)
            .values(
                agency_id=agency.id,
                started_by_id=actor.id if actor is not None else None,
                status="queued",
                parameters={"today": on.isoformat()},
            )
            .on_conflict_do_nothing()
            .returning(MatchRun.id)
        )
        if created is not None:
            run = db.session.get(MatchRun, created)
            assert run is not None
            if background:
                from matcher import jobs_tasks

                jobs_tasks.enqueue_run(run)
            return Started(run, True)
        running = active(agency.id)
        if running is not None:
            return Started(running, False)
        # The run under way ended between the insert and the look-up: try again.
    raise RuntimeError(f"no run could be started or found for agency {agency.id}")


def fail(matching_run_id: int, failure: str, detail: str, actor: User | None) -> bool:
    """Record a run under way as failed, with its reason (audited); flushes.

    :return: False when the run was no longer under way (nothing changed).
    """
    return _fail(db.session, matching_run_id, failure, detail, actor)


def _fail(
    session: Session | scoped_session[Any],
    matching_run_id: int,
    failure: str,
    detail: str,
    actor: User | None,
) -> bool:
    try:
        agency_id = advance(session, matching_run_id, "fail", failure=failure, detail=detail)
    except RunGone:
        return False
    audit.record(
        session,
        "match.run_failed",
        actor=actor,
        object_type="match_run",
        object_id=matching_run_id,
        agency_id=agency_id,
    )
    session.flush()
    return True


def stale_seconds() -> int:
    """After how many seconds without a heartbeat a worker counts as gone."""
    return int(current_app.config["JOBS_STALE_SECONDS"])


def reap(agency_id: int | None = None) -> list[int]:
    """Record as failed the runs whose worker or job is gone; return their ids; flushes.

    Only reads, unless there is something to reap (pages call this on every view).

    :param agency_id: one agency's runs; None for every run in scope (the consumer).
    """
    now = utcnow()
    stale = now - timedelta(seconds=stale_seconds())
    stmt = select(MatchRun.id, MatchRun.status, MatchRun.job_id, MatchRun.heartbeat_at).where(
        or_(
            and_(
                MatchRun.status.in_(WORKING),
                func.coalesce(MatchRun.heartbeat_at, MatchRun.started_at) < stale,
            ),
            and_(MatchRun.status == "queued", MatchRun.started_at < stale),
        )
    )
    if agency_id is not None:
        stmt = stmt.where(MatchRun.agency_id == agency_id)
    candidates = db.session.execute(stmt.order_by(MatchRun.id)).all()
    if not candidates:
        return []
    waiting = jobs.pending_ids() if any(c.status == "queued" for c in candidates) else None
    reaped = []
    for run_id, status, job_id, heartbeat_at in candidates:
        if status == "queued":
            if waiting is None or (job_id is not None and job_id in waiting):
                continue  # still waiting for a worker (or the queue cannot tell)
            failure, detail = "not_picked_up", "the job is no longer in the queue"
        else:
            failure = "worker_lost"
            seen = heartbeat_at.isoformat(timespec="seconds") if heartbeat_at else "never"
            detail = f"no sign of life from the worker since {seen} (while {status})"
        if fail(run_id, failure, detail, None):
            log.warning("matching run %s failed: %s (%s)", run_id, failure, detail)
            reaped.append(run_id)
    return reaped


class Progress:
    """A worker's reports on one run, each in its own short transaction on its own
    connection: pages see them at once, and the run's own work stays one transaction."""

    def __init__(self, engine: Engine, matching_run_id: int) -> None:
        self.engine = engine
        self.run_id = matching_run_id

    def advance(self, change: str) -> None:
        """Move the run one step on (build, solve, store) and commit that at once.

        :raises RunGone: the run failed meanwhile (its worker was declared lost).
        """
        with self.engine.begin() as conn:
            advance(conn, self.run_id, change)

    def solver(self, stage: str, count: int) -> None:
        """The engine's progress callback: record the round; stop if the run is gone.

        :raises RunGone: the run failed meanwhile; this aborts the solve.
        """
        if stage != "round":
            return
        with self.engine.begin() as conn:
            if not touch(conn, self.run_id, solver_round=count):
                raise RunGone(self.run_id, "solve")

    def fail(self, failure: str, detail: str, actor_id: int | None = None) -> bool:
        """Record the run as failed in a transaction of its own (audited); False when it
        was no longer under way."""
        with Session(self.engine) as session, session.begin():
            actor = session.get(User, actor_id) if actor_id is not None else None
            return _fail(session, self.run_id, failure, detail, actor)

    def beat(self) -> bool:
        """Write a heartbeat; False once the run is no longer under way."""
        with self.engine.begin() as conn:
            return touch(conn, self.run_id)

    @contextmanager
    def heartbeat(self, every: float) -> Iterator[None]:
        """Write a heartbeat every `every` seconds from a thread while the block runs.

        A heartbeat that cannot be written (SQLite's write lock held by the storing
        transaction, a database restart) is tried again at the next beat.
        """
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(every):
                try:
                    if not self.beat():
                        return
                except SQLAlchemyError as e:
                    log.info("heartbeat of run %s not written: %s", self.run_id, e)

        thread = threading.Thread(target=beat, name=f"heartbeat-run-{self.run_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=every + 15)
