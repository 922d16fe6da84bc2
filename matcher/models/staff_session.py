"""A staff member's sessions and sign-ins, kept on the server so they can be listed and ended."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from matcher.domain.vocab import SESSION_END_REASONS, SIGN_IN_OUTCOMES
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow


class StaffSession(Base):
    """One signed-in browser of a staff member.

    The cookie holds a random key; only its SHA-256 digest is stored here, so a copy of the
    database opens no session. A session is live while it is not ended and was begun under
    the user's current `session_version` (a logout or a password change ends all at once).
    """

    __tablename__ = "staff_sessions"
    __table_args__ = (
        CheckConstraint(
            "end_reason IS NULL OR " + check_in("end_reason", SESSION_END_REASONS),
            name="end_reason_valid",
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(String(64), default="")
    agent: Mapped[str] = mapped_column(String(200), default="")

    def __repr__(self) -> str:
        return f"<StaffSession {self.id} of user {self.user_id}>"


class SignIn(Base):
    """One attempt to sign in with a password or a second-factor code, and how it ended.

    Attempts for an address nobody has are kept too (without the address typed), so an
    attempt costs the same work whoever it names; they belong to no user.
    """

    __tablename__ = "sign_ins"
    __table_args__ = (
        CheckConstraint(check_in("outcome", SIGN_IN_OUTCOMES), name="outcome_valid"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    outcome: Mapped[str] = mapped_column(String(24))
    address: Mapped[str] = mapped_column(String(64), default="")
    agent: Mapped[str] = mapped_column(String(200), default="")

    def __repr__(self) -> str:
        return f"<SignIn {self.id} {self.outcome}>"
