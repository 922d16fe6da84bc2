"""A matching run's status changes, written once: one transition table and one `advance()`.

    queued → building → solving → storing → finished
       └─────────┴─────────┴─────────┴────→ failed (with a reason)

The table is `matcher.domain.transitions`' kind (`Machine`, `Transition`); the changes
differ from a person's in where they are written. A worker reports its progress in its
own short transactions, on a connection of its own, so a coordinator's page sees each
step at once while the run's work is still open; only the last step, `finish`, goes into
the transaction that stores the proposals, so proposals and "finished" commit together.
Every change is a conditional UPDATE on the statuses it may start from: a run that was
failed meanwhile (its worker was declared lost) refuses the worker's next step, and the
worker stops without storing anything (`RunGone`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, update
from sqlalchemy.orm import Session, scoped_session

from matcher.domain.transitions import Machine, Transition
from matcher.domain.vocab import ACTIVE_RUN_STATUSES, RUN_FAILURES
from matcher.models import MatchRun, utcnow

RUN = Machine(
    "run",
    {
        # A worker takes the queued run and reads the agency's people.
        "build": Transition(("queued",), "building", button=False),
        "solve": Transition(("building",), "solving", button=False),
        "store": Transition(("solving",), "storing", button=False),
        # In the transaction that stores the proposals.
        "finish": Transition(("storing",), "finished", stamp="finished", button=False),
        # From anywhere under way: refused, an error, a lost worker or job.
        "fail": Transition(ACTIVE_RUN_STATUSES, "failed", stamp="finished", button=False),
    },
)

Executor = Connection | Session | scoped_session[Any]


class RunGone(Exception):
    """The run is not where this step expected it: it failed meanwhile (declared lost) or
    another worker took it. The worker stops and stores nothing."""

    def __init__(self, run_id: int, change: str) -> None:
        super().__init__(f"run {run_id} cannot {change} any more")
        self.run_id = run_id
        self.change = change


class RunFailed(Exception):
    """The run cannot give proposals: `failure` (a code of RUN_FAILURES) says why, `detail`
    gives the technical words (the engine's message)."""

    def __init__(self, failure: str, detail: str = "") -> None:
        super().__init__(f"{failure}: {detail}" if detail else failure)
        self.failure = failure
        self.detail = detail


def advance(
    executor: Executor,
    run_id: int,
    change: str,
    *,
    values: Mapping[str, Any] | None = None,
    failure: str | None = None,
    detail: str = "",
) -> int:
    """Make one change of a run with a conditional UPDATE; stamp the heartbeat.

    :param executor: a connection in its own short transaction (progress) or the session
        whose transaction stores the proposals (`finish`).
    :param values: further columns to set in the same UPDATE (counts, parameters).
    :param failure: for `fail`, a code of RUN_FAILURES.
    :return: the run's agency.
    :raises RunGone: the run was not in a status this change starts from.
    :raises ValueError: an unknown change or failure code.
    """
    transition = RUN.transitions.get(change)
    if transition is None:
        raise ValueError(f"unknown change of a run: {change}")
    now = utcnow()
    row: dict[str, Any] = {"status": transition.target, "heartbeat_at": now, **(values or {})}
    if transition.stamp:
        row[f"{transition.stamp}_at"] = now
    if change == "fail":
        if failure not in RUN_FAILURES:
            raise ValueError(f"unknown failure of a run: {failure}")
        row["failure"] = failure
        row["failure_detail"] = detail[:2000]
    agency_id = executor.execute(
        update(MatchRun)
        .where(MatchRun.id == run_id, MatchRun.status.in_(transition.sources))
        .values(**row)
        .returning(MatchRun.agency_id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if agency_id is None:
        raise RunGone(run_id, change)
    return int(agency_id)


def touch(executor: Executor, run_id: int, **values: Any) -> bool:
    """Record progress of a run under way (the solver's round) and a heartbeat.

    :return: False when the run is no longer under way (then nothing is written).
    """
    result = executor.execute(
        update(MatchRun)
        .where(MatchRun.id == run_id, MatchRun.status.in_(ACTIVE_RUN_STATUSES))
        .values(heartbeat_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
