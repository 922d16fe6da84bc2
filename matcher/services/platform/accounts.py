"""Staff accounts: creating, authenticating, logging out everywhere, changing passwords."""

from flask import current_app
from sqlalchemy import select

from matcher import passwords
from matcher.domain import audit
from matcher.domain.errors import Conflict, Invalid
from matcher.domain.vocab import ROLES
from matcher.extensions import db
from matcher.models import Agency, User, utcnow

MIN_PASSWORD_LENGTH = 10


def password_params() -> passwords.Argon2Params:
    """The Argon2id cost new hashes get, from the configuration (OWASP's minimum by default)."""
    config = current_app.config
    return passwords.Argon2Params(
        memory_kib=int(config["ARGON2_MEMORY_KIB"]),
        time_cost=int(config["ARGON2_TIME_COST"]),
        parallelism=int(config["ARGON2_PARALLELISM"]),
    )


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
    user.set_password(password, password_params())
    db.session.add(user)
    db.session.flush()
    audit.about("user.create", user, actor)
    return user


def user_by_email(email: str) -> User | None:
    """The staff user with this email address, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None — the same way for every failure.

    An unknown email is checked against a dummy hash made with the current parameters, so
    it costs what a wrong password for an account costs. A hash made by an older scheme
    (scrypt) or with other parameters is replaced on the first successful login.
    """
    params = password_params()
    user: User | None = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        passwords.verify_password(passwords.dummy_hash(params), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    if passwords.needs_rehash(user.password_hash, params):
        user.set_password(password, params)
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
    user.set_password(new, password_params())
    user.session_version += 1
    audit.about("user.password_change", user, user)
