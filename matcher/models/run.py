"""A run of the matching engine for one agency."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from matcher.domain.vocab import RUN_STATUSES
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow
from matcher.models.tenant import TenantScoped


class MatchRun(TenantScoped, Base):
    """The parameters, counts and duration of one engine run, and who started it."""

    __tablename__ = "match_runs"
    __table_args__ = (
        CheckConstraint(check_in("status", RUN_STATUSES), name="status_valid"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="running")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    volunteers: Mapped[int] = mapped_column(Integer, default=0)
    newcomers: Mapped[int] = mapped_column(Integer, default=0)
    feasible_pairs: Mapped[int] = mapped_column(Integer, default=0)
    pairs: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float | None] = mapped_column(Float)
    unmatched: Mapped[list[Any]] = mapped_column(JSON, default=list)
