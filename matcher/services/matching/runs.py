"""Matching runs as background jobs: start one per agency, follow it, record what failed.

A run is tracked background work, as an import job is; what the two share is
`matcher.services.platform.background`, and a run gives its own words and progress:

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
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from matcher.domain.background import WorkGone
from matcher.domain.runs import RUN
from matcher.extensions import db
from matcher.models import Agency, MatchRun, User
from matcher.services.platform import background as tracked

log = logging.getLogger(__name__)

RUNS = tracked.Kind(RUN, failed_action="match.run_failed", label="matching run", log=log)


@dataclass(frozen=True)
class Started:
    """The run a click led to, and whether the click started it (or found it under way)."""

    run: MatchRun
    created: bool


def active(agency_id: int) -> MatchRun | None:
    """The agency's run under way, if any (there is at most one)."""
    return tracked.active(RUNS, agency_id)


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
    return tracked.follow(RUNS, matching_run)


def current(agency_id: int) -> MatchRun | None:
    """The agency's latest run, as its pages show it (see `follow`)."""
    latest_run = latest(agency_id)
    return follow(latest_run) if latest_run is not None else None


def start(agency: Agency, actor: User | None, *, on: date, background: bool = True) -> Started:
    """Queue a run for the agency, or return the one under way; flushes.

    Stale runs of the agency are reaped first, so a killed worker never blocks the
    button (`matcher.services.platform.background.start`).

    :param background: put the run's job on the queue once the caller commits; False
        when the caller runs it itself (`flask match run`).
    """
    run, created = tracked.start(
        RUNS,
        agency.id,
        {
            "started_by_id": actor.id if actor is not None else None,
            "parameters": {"today": on.isoformat()},
        },
    )
    if created and background:
        from matcher import jobs_tasks

        jobs_tasks.enqueue_run(run)
    return Started(run, created)


def fail(matching_run_id: int, failure: str, detail: str, actor: User | None) -> bool:
    """Record a run under way as failed, with its reason (audited); flushes.

    :return: False when the run was no longer under way (nothing changed).
    """
    return tracked.record_failure(RUNS, db.session, matching_run_id, failure, detail, actor)


def reap(agency_id: int | None = None) -> list[int]:
    """Record as failed the runs whose worker or job is gone; return their ids; flushes.

    :param agency_id: one agency's runs; None for every run in scope (the consumer).
    """
    return tracked.reap(RUNS, agency_id)


class Progress(tracked.Progress):
    """A worker's reports on one run: its steps (build, solve, store), the solver's round
    and a heartbeat, each committed at once on a connection of its own."""

    kind = RUNS
    THREAD = "heartbeat-run"
    UNWRITTEN = "heartbeat of run %s not written: %s"

    def solver(self, stage: str, count: int) -> None:
        """The engine's progress callback: record the round; stop if the run is gone.

        :raises WorkGone: the run failed meanwhile; this aborts the solve.
        """
        if stage != "round":
            return
        if not self.touch(solver_round=count):
            raise WorkGone(RUN, self.work_id, "solve")
