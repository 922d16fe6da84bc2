"""Staff accounts: creating, authenticating, logging out everywhere, changing passwords."""

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from zxcvbn import zxcvbn

from matcher import passwords
from matcher.domain import audit
from matcher.domain.errors import Conflict, Invalid
from matcher.domain.vocab import ROLES
from matcher.extensions import db
from matcher.models import Agency, User, utcnow

MIN_PASSWORD_LENGTH = 12
#: zxcvbn's score (0–4) a chosen password needs: 3 is "safely unguessable" online.
MIN_PASSWORD_SCORE = 3
#: zxcvbn refuses longer input; a longer password is judged by its first 72 characters.
_ZXCVBN_MAX = 72


def check_new_password(password: str, *personal: str) -> None:
    """A password a person chooses: at least 12 characters and not easy to guess (no common
    password, keyboard pattern or repetition, nor the person's own name or address), judged
    offline by zxcvbn (L10).

    :raises Invalid: "password_too_short" or "password_too_common".
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("password_too_short", minimum=MIN_PASSWORD_LENGTH)
    words = [w for text in personal for w in re.split(r"[@.\s_-]+", text.lower()) if len(w) > 2]
    if zxcvbn(password[:_ZXCVBN_MAX], user_inputs=words)["score"] < MIN_PASSWORD_SCORE:
        raise Invalid("password_too_common")


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
    check_new_password(password, email, name)
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


@dataclass(frozen=True)
class Attempt:
    """How a password sign-in went: the account the address names (None: nobody's) and
    the outcome, one of `SIGN_IN_OUTCOMES` ("success", "wrong_password", "inactive",
    "unknown_account")."""

    user: User | None
    outcome: str

    @property
    def ok(self) -> bool:
        return self.outcome == "success"


def attempt(email: str, password: str) -> Attempt:
    """Check a password sign-in, the same way for every failure (the caller answers alike).

    An unknown email is checked against a dummy hash made with the current parameters, so
    it costs what a wrong password for an account costs. A hash made by an older scheme
    (scrypt) or with other parameters is replaced on the first successful check. Nothing
    counts as a sign-in yet: a second factor may follow (`signed_in`).
    """
    params = password_params()
    user: User | None = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        passwords.verify_password(passwords.dummy_hash(params), password)
        return Attempt(None, "unknown_account")
    if not user.check_password(password):
        return Attempt(user, "wrong_password")
    if not user.active:
        return Attempt(user, "inactive")
    if passwords.needs_rehash(user.password_hash, params):
        user.set_password(password, params)
    return Attempt(user, "success")


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None — the same way for every failure."""
    result = attempt(email, password)
    return result.user if result.ok else None


def signed_in(user: User) -> None:
    """The user is signed in: the password and, where they have one, the second factor."""
    user.last_login_at = utcnow()
    audit.about("user.login", user, user)


def end_all_sessions(user: User) -> None:
    """Invalidate every session of this user (logout ends every older session)."""
    user.session_version += 1
    audit.about("user.logout", user, user)


def change_password(user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; ends every older session."""
    if not user.check_password(current):
        raise Invalid("current_password_wrong")
    check_new_password(new, user.email, user.name)
    user.set_password(new, password_params())
    user.session_version += 1
    audit.about("user.password_change", user, user)
