"""Staff accounts: creating, authenticating, logging out everywhere, changing passwords."""

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from matcher.extensions import db
from matcher.models import Agency, User, utcnow
from matcher.models.vocab import ROLES
from matcher.services.platform import audit

# Checked against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = generate_password_hash("matcher-timing-equaliser", method="scrypt")

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A request about an account that cannot be carried out."""


def normalise_email(email: str) -> str:
    """Trim and lower-case an email address."""
    return email.strip().lower()


def create_user(
    email: str, password: str, role: str, agency: Agency | None = None, name: str = ""
) -> User:
    """Create a staff user; coordinators belong to exactly one agency."""
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}")
    if role == "coordinator" and agency is None:
        raise AccountError("a coordinator needs an agency")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"a user with the email {email} exists already")
    user = User(
        email=email,
        role=role,
        name=name,
        agency_id=agency.id if agency and role == "coordinator" else None,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", object_type="user", object_id=user.id, agency_id=user.agency_id)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None — the same way for every failure."""
    user: User | None = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    audit.record("user.login", object_type="user", object_id=user.id, actor=user)
    db.session.commit()
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session of this user (logout ends every older session)."""
    user.session_version += 1
    audit.record("user.logout", object_type="user", object_id=user.id, actor=user)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; ends every older session."""
    if not user.check_password(current):
        raise AccountError("current password wrong")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise AccountError("new password too short")
    user.set_password(new)
    user.session_version += 1
    audit.record("user.password_change", object_type="user", object_id=user.id, actor=user)
    db.session.commit()
