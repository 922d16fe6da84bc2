"""Staff accounts: creating, authenticating, logging out everywhere, changing passwords."""

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from matcher.domain import audit
from matcher.domain.errors import Conflict, Invalid
from matcher.domain.vocab import ROLES
from matcher.extensions import db
from matcher.models import Agency, User, utcnow

# Checked against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = generate_password_hash("matcher-timing-equaliser", method="scrypt")

MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    """Trim and lower-case an email address."""
    return email.strip().lower()


def create_user(
    email: str,
    password: str,
    role: str,
    agency: Agency | None = None,
    name: str = "",
    actor: User | None = None,
) -> User:
    """Create a staff user; coordinators belong to exactly one agency."""
    email = normalise_email(email)
    if role not in ROLES:
        raise Invalid("bad_details", field="role")
    if role == "coordinator" and agency is None:
        raise Invalid("coordinator_needs_agency")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("password_too_short", minimum=MIN_PASSWORD_LENGTH)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("email_taken")
    user = User(
        email=email,
        role=role,
        name=name,
        agency_id=agency.id if agency and role == "coordinator" else None,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.about("user.create", user, actor)
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
    audit.about("user.login", user, user)
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session of this user (logout ends every older session)."""
    user.session_version += 1
    audit.about("user.logout", user, user)


def change_password(user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; ends every older session."""
    if not user.check_password(current):
        raise Invalid("current_password_wrong")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise Invalid("password_too_short", minimum=MIN_PASSWORD_LENGTH)
    user.set_password(new)
    user.session_version += 1
    audit.about("user.password_change", user, user)
