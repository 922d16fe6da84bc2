"""The agency: the tenant every person, match and run belongs to."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from matcher.domain.vocab import DEFAULT_WEIGHTS, LEVELS, TANDEM_GENDERS, UMBRELLAS
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow


class Agency(Base):
    """An integration agency (Integrationsagentur) running a Patenschaft programme."""

    __tablename__ = "agencies"
    __table_args__ = (
        CheckConstraint(check_in("umbrella", UMBRELLAS), name="umbrella_valid"),
        CheckConstraint("max_distance_km IS NULL OR max_distance_km > 0", name="distance_positive"),
        CheckConstraint("retention_months BETWEEN 1 AND 120", name="retention_range"),
        CheckConstraint("checkin_interval_weeks BETWEEN 2 AND 26", name="checkin_range"),
        CheckConstraint("trial_weeks BETWEEN 1 AND 26", name="trial_range"),
        # The must-rules of the matching (issue 13).
        CheckConstraint("min_score BETWEEN 0 AND 1", name="min_score_range"),
        CheckConstraint("min_shared_slots BETWEEN 0 AND 21", name="min_shared_slots_range"),
        CheckConstraint(
            f"min_language_level IS NULL OR {check_in('min_language_level', LEVELS)}",
            name="min_language_level_valid",
        ),
        CheckConstraint(
            f"tandem_gender IS NULL OR {check_in('tandem_gender', TANDEM_GENDERS)}",
            name="tandem_gender_valid",
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    umbrella: Mapped[str] = mapped_column(String(32), default="other")
    city: Mapped[str] = mapped_column(String(100), default="")
    privacy_contact: Mapped[str] = mapped_column(String(300), default="")
    max_distance_km: Mapped[float | None] = mapped_column(Float, default=15.0)
    weights: Mapped[dict[str, Any]] = mapped_column(JSON, default=lambda: dict(DEFAULT_WEIGHTS))
    retention_months: Mapped[int] = mapped_column(Integer, default=24)
    checkin_interval_weeks: Mapped[int] = mapped_column(Integer, default=10)
    trial_weeks: Mapped[int] = mapped_column(Integer, default=4)
    privacy_notice_version: Mapped[str] = mapped_column(String(32), default="1")
    privacy_notice_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # -- the must-rules of the matching (issue 13); defaults: today's behaviour -------------
    #: No proposal below this score (0 to 1).
    min_score: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    #: A shared language where both have at least this level (None: any shared language).
    min_language_level: Mapped[str | None] = mapped_column(String(16))
    #: How many weekly slots a pair must share.
    min_shared_slots: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    #: None, "same" (same gender where both are known) or "women_only".
    tandem_gender: Mapped[str | None] = mapped_column(String(16))
    #: Children's age bands count as a soft preference (the engine's family weight).
    age_band_preference: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    #: The interests volunteers and newcomers choose from (None: none defined).
    interests: Mapped[list[str] | None] = mapped_column(JSON)
    # Whether its coordinators must sign in with a second factor (admins always must,
    # unless TOTP_REQUIRED_FOR_ADMINS is off): matcher/services/platform/second_factor.py.
    two_factor_required: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    def __repr__(self) -> str:
        return f"<Agency {self.slug}>"
