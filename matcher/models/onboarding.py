"""Volunteer onboarding: an agency's checklist of steps, and the steps each volunteer has done.

An agency chooses which steps must be done before a volunteer can be matched
(`required_for_matching`); the eligibility rule (`matcher.domain.eligibility`) asks it. A
step that someone has done is archived, never deleted, so what was done stays on record.
"""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow
from matcher.models.tenant import TenantScoped

#: The longest name of a step, and of the note on a done step.
STEP_NAME_MAX = 120
STEP_NOTE_MAX = 300


class OnboardingStep(TenantScoped, Base):
    """One step of an agency's onboarding checklist, e.g. "Erstgespräch" or "Schulung"."""

    __tablename__ = "onboarding_steps"
    __table_args__ = (
        CheckConstraint("name <> ''", name="name_given"),
        CheckConstraint("position >= 0", name="position_positive"),
        # The checklist in its order: the settings page and every volunteer page.
        Index("ix_onboarding_steps_agency_position", "agency_id", "position"),
        NEVER_REUSE_IDS,
    )
    agency_id_indexed = False

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(STEP_NAME_MAX))
    required_for_matching: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Set when the step was taken off the checklist: it no longer counts, and stays on record.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<OnboardingStep {self.id}>"


class OnboardingDone(TenantScoped, Base):
    """A step one volunteer has done: who recorded it, when, and an optional note."""

    __tablename__ = "onboarding_done"
    __table_args__ = (
        UniqueConstraint("volunteer_id", "step_id", name="uq_onboarding_done_volunteer_step"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    # A step in use is archived, never deleted: without ON DELETE the database refuses to
    # delete it (the agency's own deletion takes both at once).
    step_id: Mapped[int] = mapped_column(ForeignKey("onboarding_steps.id"), index=True)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(STEP_NOTE_MAX), default="", server_default=text("''"))

    def __repr__(self) -> str:
        return f"<OnboardingDone {self.volunteer_id}:{self.step_id}>"
