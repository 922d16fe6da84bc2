"""A run of the matching engine for one agency, from the queue to its proposals."""

from typing import Any

from sqlalchemy import JSON, Float, Integer
from sqlalchemy.orm import Mapped, mapped_column

from matcher.domain.vocab import ACTIVE_RUN_STATUSES, RUN_FAILURES, RUN_STATUSES
from matcher.models.background import BackgroundWork, table_args
from matcher.models.base import Base


class MatchRun(BackgroundWork, Base):
    """The parameters, progress, counts and duration of one engine run, and who started it.

    A run is queued by the web button (or the command line), then a worker moves it
    through building → solving → storing to finished, or to failed with a reason
    (`matcher.domain.runs`). While it works, the worker writes a heartbeat; a run whose
    heartbeat stopped is recorded as failed (`worker_lost`). The status, heartbeat and
    failure columns, and the rule of one run under way per agency, are `BackgroundWork`'s.
    """

    __tablename__ = "match_runs"
    STATUSES = RUN_STATUSES
    ACTIVE_STATUSES = ACTIVE_RUN_STATUSES
    FAILURES = RUN_FAILURES
    __table_args__ = table_args(__tablename__, STATUSES, ACTIVE_STATUSES, FAILURES)

    id: Mapped[int] = mapped_column(primary_key=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    volunteers: Mapped[int] = mapped_column(Integer, default=0)
    newcomers: Mapped[int] = mapped_column(Integer, default=0)
    feasible_pairs: Mapped[int] = mapped_column(Integer, default=0)
    pairs: Mapped[int] = mapped_column(Integer, default=0)
    #: Seconds the worker spent, from taking the run to storing its proposals.
    seconds: Mapped[float | None] = mapped_column(Float)
    unmatched: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: The solver's round of certification while solving (1 for a problem solved whole).
    solver_round: Mapped[int | None] = mapped_column(Integer)
