"""A staff member's second factor: a TOTP secret and ten single-use recovery codes."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow


class SecondFactor(Base):
    """A confirmed TOTP authenticator of one user (at most one; an admin's reset deletes it).

    The secret is stored encrypted (`matcher.services.platform.second_factor`); `last_step`
    is the 30-second time step of the last code accepted, so no code is accepted twice.
    """

    __tablename__ = "second_factors"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(String(255))
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<SecondFactor of user {self.user_id}>"


class RecoveryCode(Base):
    """One single-use recovery code, stored as a keyed SHA-256 digest (never the code)."""

    __tablename__ = "recovery_codes"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} of user {self.user_id}>"
