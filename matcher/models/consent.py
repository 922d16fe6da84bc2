"""Consent per purpose, recorded the way German data protection asks for it.

A record is never deleted while the person's data is kept: a withdrawal stamps
`withdrawn_at` (and the staff member who recorded it), and a consent given again is a new
record, so the history shows every notice version a person was shown.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.domain.vocab import CONSENT_CHANNELS, CONSENT_PURPOSES, INTERPRETER_ROLES
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow
from matcher.models.tenant import TenantScoped

if TYPE_CHECKING:
    from matcher.models.user import User

#: A consent in force: given and not withdrawn.
_IN_FORCE = "withdrawn_at IS NULL"


def _one_in_force(person: str) -> Index:
    """At most one consent in force per person and purpose, kept by the database itself, so
    a double submit or two coordinators at once cannot give a purpose twice."""
    where = f"{_IN_FORCE} AND {person} IS NOT NULL"
    return Index(
        f"uq_consent_records_{person}_purpose_in_force",
        person,
        "purpose",
        unique=True,
        sqlite_where=text(where),
        postgresql_where=text(where),
    )


class ConsentRecord(TenantScoped, Base):
    """One consent of one person for one purpose, with the notice version it was given on."""

    __tablename__ = "consent_records"
    __table_args__ = (
        CheckConstraint(check_in("purpose", CONSENT_PURPOSES), name="purpose_valid"),
        CheckConstraint(check_in("channel", CONSENT_CHANNELS), name="channel_valid"),
        CheckConstraint(
            "(volunteer_id IS NULL) <> (newcomer_id IS NULL)", name="exactly_one_person"
        ),
        # Paper, in-person or interpreted consent is taken by a named staff member.
        CheckConstraint("channel = 'online' OR taken_by_id IS NOT NULL", name="taken_by_staff"),
        # An interpreter's role, exactly when the notice was explained through one.
        CheckConstraint(
            "(channel = 'interpreter') = (interpreter_role IS NOT NULL)",
            name="interpreter_role_iff_interpreter",
        ),
        CheckConstraint(
            f"interpreter_role IS NULL OR {check_in('interpreter_role', INTERPRETER_ROLES)}",
            name="interpreter_role_valid",
        ),
        # Who recorded a withdrawal only for a withdrawn consent.
        CheckConstraint(
            "withdrawn_by_id IS NULL OR withdrawn_at IS NOT NULL", name="withdrawn_by_withdrawn"
        ),
        _one_in_force("volunteer_id"),
        _one_in_force("newcomer_id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    newcomer_id: Mapped[int | None] = mapped_column(
        ForeignKey("newcomers.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    notice_version: Mapped[str] = mapped_column(String(32))
    # The language of the privacy notice that was shown or explained.
    language: Mapped[str] = mapped_column(String(8))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(16))
    # With channel "interpreter": the interpreter's role (never their name).
    interpreter_role: Mapped[str | None] = mapped_column(String(32))
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The staff member who recorded a withdrawal; None when the person withdrew online.
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    taken_by: Mapped["User | None"] = relationship(foreign_keys=[taken_by_id], viewonly=True)
    withdrawn_by: Mapped["User | None"] = relationship(
        foreign_keys=[withdrawn_by_id], viewonly=True
    )

    @property
    def is_active(self) -> bool:
        """Given and not withdrawn."""
        return self.withdrawn_at is None
