"""Staff users: admins and coordinators."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.domain.vocab import ROLES
from matcher.models.agency import Agency
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow
from matcher.passwords import OWASP_MINIMUM, Argon2Params, hash_password, verify_password


class User(Base):
    """A staff member who logs in: an admin, or a coordinator of one agency."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(check_in("role", ROLES), name="role_valid"),
        CheckConstraint("role = 'admin' OR agency_id IS NOT NULL", name="coordinator_has_agency"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    # Bumped on logout and password change; a session remembers the version it began with.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The weekly "Heute zu tun" mail (matcher/services/matching/digest.py): opted in, and
    # the ISO week ("2026-W48") of the last one queued, so a week gets at most one.
    weekly_digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_digest_week: Mapped[str | None] = mapped_column(String(8))

    agency: Mapped[Agency | None] = relationship()

    # Flask-Login asks these four; written here so the models import no Flask.
    @property
    def is_authenticated(self) -> bool:
        """Flask-Login: a loaded user is a logged-in user."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """Flask-Login: never anonymous."""
        return False

    @property
    def is_active(self) -> bool:
        """Flask-Login: a deactivated user cannot log in."""
        return self.active

    @property
    def is_admin(self) -> bool:
        """True for admins, who see every agency."""
        return self.role == "admin"

    def get_id(self) -> str:
        """Flask-Login: the id stored in the session, bound to the session version."""
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str, params: Argon2Params = OWASP_MINIMUM) -> None:
        """Hash and store a new password (Argon2id, `matcher.passwords`)."""
        self.password_hash = hash_password(password, params)

    def check_password(self, password: str) -> bool:
        """Compare a password with the stored hash in constant time (any supported scheme)."""
        return verify_password(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
