"""Tracked background work, written once: its status changes, its heartbeat, its failures.

A matching run (`matcher.domain.runs`) and an import job (`matcher.domain.import_jobs`)
are the same kind of thing: a row that a worker takes from "queued" through its steps to
"finished", or to "failed" with a reason, writing a heartbeat on the way. Each kind gives
only what differs — its transition table (`matcher.domain.transitions`' kind), its model
(a `matcher.models.background.BackgroundWork`, which names its statuses under way and its
failure codes) and a noun for messages — as a `Work`; the one `advance()` and `touch()`
here serve both.

A worker reports its progress in its own short transactions, on a connection of its own,
so a page sees each step at once while the work is still open; only the last step,
`finish`, goes into the transaction that writes the work's result, so the result and
"finished" commit together. Every change is a conditional UPDATE on the statuses it may
start from: work that was failed meanwhile (its worker was declared lost) refuses the
worker's next step, and the worker stops without writing anything (`WorkGone`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, update
from sqlalchemy.orm import Session, scoped_session

from matcher.domain.transitions import Machine
from matcher.models import utcnow
from matcher.models.background import BackgroundWork

Executor = Connection | Session | scoped_session[Any]
#: The model of one kind of work.
W = TypeVar("W", bound=BackgroundWork)

#: The change that records work as failed, from any status under way, with a reason.
FAIL = "fail"
#: How much of a failure's technical detail is kept.
DETAIL_CHARS = 2000


@dataclass(frozen=True)
class Work(Generic[W]):
    """One kind of tracked background work: what differs between a run and an import job."""

    machine: Machine
    model: type[W]
    #: The noun in messages ("run", "import job"), and with its article ("a run").
    noun: str
    a_noun: str

    @property
    def active(self) -> tuple[str, ...]:
        """The statuses under way (queued or working); `touch()` writes only in these."""
        return self.model.ACTIVE_STATUSES

    @property
    def failures(self) -> tuple[str, ...]:
        """The codes a failure may have."""
        return self.model.FAILURES

    @property
    def working(self) -> tuple[str, ...]:
        """The statuses in which a worker holds the work and keeps its heartbeat."""
        return tuple(status for status in self.active if status != "queued")

    def advance(
        self,
        executor: Executor,
        work_id: int,
        change: str,
        *,
        values: Mapping[str, Any] | None = None,
        failure: str | None = None,
        detail: str = "",
    ) -> int:
        """Make one change with a conditional UPDATE; stamp the heartbeat.

        :param executor: a connection in its own short transaction (progress) or the
            session whose transaction writes the work's result (`finish`).
        :param values: further columns to set in the same UPDATE (counts, parameters).
        :param failure: for `fail`, one of `failures`.
        :return: the work's agency.
        :raises WorkGone: the work was not in a status this change starts from.
        :raises ValueError: an unknown change or failure code.
        """
        transition = self.machine.transitions.get(change)
        if transition is None:
            raise ValueError(f"unknown change of {self.a_noun}: {change}")
        now = utcnow()
        row: dict[str, Any] = {"status": transition.target, "heartbeat_at": now, **(values or {})}
        if transition.stamp:
            row[f"{transition.stamp}_at"] = now
        if change == FAIL:
            if failure not in self.failures:
                raise ValueError(f"unknown failure of {self.a_noun}: {failure}")
            row["failure"] = failure
            row["failure_detail"] = detail[:DETAIL_CHARS]
        model = self.model
        agency_id = executor.execute(
            update(model)
            .where(model.id == work_id, model.status.in_(transition.sources))
            .values(**row)
            .returning(model.agency_id)
            .execution_options(synchronize_session=False)
        ).scalar()
        if agency_id is None:
            raise WorkGone(self, work_id, change)
        return int(agency_id)

    def touch(self, executor: Executor, work_id: int, **values: Any) -> bool:
        """Record progress of work under way (further columns) and a heartbeat.

        :return: False when the work is no longer under way (then nothing is written).
        """
        model = self.model
        result = executor.execute(
            update(model)
            .where(model.id == work_id, model.status.in_(self.active))
            .values(heartbeat_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


class WorkGone(Exception):
    """The work is not where this step expected it: it failed meanwhile (declared lost) or
    another worker took it. The worker stops and writes nothing."""

    def __init__(self, work: Work[Any], work_id: int, change: str) -> None:
        super().__init__(f"{work.noun} {work_id} cannot {change} any more")
        self.work = work
        self.work_id = work_id
        self.change = change


class WorkFailed(Exception):
    """The work cannot be done: `failure` (one of its kind's failure codes) says why,
    `detail` gives the technical words (the engine's message, a missing file)."""

    def __init__(self, failure: str, detail: str = "") -> None:
        super().__init__(f"{failure}: {detail}" if detail else failure)
        self.failure = failure
        self.detail = detail
