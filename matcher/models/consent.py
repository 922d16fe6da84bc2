"""Consent per purpose, recorded the way German data protection asks for it."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from matcher.domain.vocab import CONSENT_CHANNELS, CONSENT_PURPOSES
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow
from matcher.models.tenant import TenantScoped


class ConsentRecord(TenantScoped, Base):
    """One consent of one person for one purpose, with the notice version it was given on."""

    __tablename__ = "consent_records"
    __table_args__ = (
        CheckConstraint(check_in("purpose", CONSENT_PURPOSES), name="purpose_valid"),
        CheckConstraint(check_in("channel", CONSENT_CHANNELS), name="channel_valid"),
        CheckConstraint(
            "(volunteer_id IS NULL) <> (newcomer_id IS NULL)", name="exactly_one_person"
        ),
        # Paper or in-person consent is taken by a named staff member.
        CheckConstraint("channel = 'online' OR taken_by_id IS NOT NULL", name="taken_by_staff"),
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
    language: Mapped[str] = mapped_column(String(8))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(16))
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def is_active(self) -> bool:
        """Given and not withdrawn."""
        return self.withdrawn_at is None
