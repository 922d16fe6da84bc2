"""Two-factor sign-in for staff: enrolment, checking a code, recovery codes, an admin's reset.

The TOTP secret is stored encrypted with Fernet (AES-128-CBC with HMAC-SHA-256, from
`cryptography`) under a key derived from SECRET_KEY with HKDF; recovery codes are stored
as HMAC-SHA-256 digests under a second key derived the same way (see `matcher.domain.totp`
for why not a password hash). A copy of the database alone therefore yields neither.
Changing SECRET_KEY makes both unreadable: enrolled users then need a reset
(`flask reset-two-factor EMAIL`, or an admin on the users page).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import delete, func, select, update

from matcher import secret_keys
from matcher.domain import audit, totp
from matcher.domain.errors import Conflict, Invalid
from matcher.extensions import db
from matcher.models import Agency, RecoveryCode, SecondFactor, User, utcnow

Used = Literal["code", "recovery_code"]


def _derived_key(purpose: str) -> bytes:
    return secret_keys.derived_key(current_app.config["SECRET_KEY"], purpose)


def _fernet() -> Fernet:
    return secret_keys.fernet(current_app.config["SECRET_KEY"], "totp-secret")


def seal(secret: str) -> str:
    """Encrypt a TOTP secret for the database (or the session, during enrolment)."""
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """Decrypt a sealed secret; None if it was sealed under another key or altered."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def required_for(user: User) -> bool:
    """Whether this user must sign in with a second factor: admins (unless switched off by
    TOTP_REQUIRED_FOR_ADMINS), coordinators where their agency asks for it."""
    if user.is_admin:
        return bool(current_app.config["TOTP_REQUIRED_FOR_ADMINS"])
    if user.agency_id is None:
        return False
    required = db.session.scalar(
        select(Agency.two_factor_required).where(Agency.id == user.agency_id)
    )
    return bool(required)


def factor_of(user: User) -> SecondFactor | None:
    """The user's confirmed authenticator, if any."""
    return db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))


def user_awaiting_code(user_id: int, session_version: object) -> User | None:
    """The active user whose password a half-signed-in session gave, unless that session
    predates a logout, password change or reset (its session version is older)."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != session_version:
        return None
    return user


def has_factor(user_id: int) -> bool:
    """Whether the user with this id has a second factor (one cheap query)."""
    found = db.session.scalar(select(SecondFactor.id).where(SecondFactor.user_id == user_id))
    return found is not None


def recovery_codes_left(user: User) -> int:
    """How many of the user's recovery codes are still unused."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def issuer() -> str:
    """The name an authenticator app shows above the code."""
    return str(current_app.config["TOTP_ISSUER"])


def enrol(user: User, secret: str, code: str, when: datetime | None = None) -> list[str]:
    """Confirm an authenticator with its first code; return ten recovery codes (show once).

    Every other session of the user ends: from now on each one needs the second factor.
    """
    if factor_of(user) is not None:
        raise Conflict("two_factor_enrolled_already")
    step = totp.accepted_step(secret, code, when or utcnow(), last_step=0)
    if step is None:
        raise Invalid("two_factor_code_wrong")
    db.session.add(SecondFactor(user_id=user.id, secret=seal(secret), last_step=step))
    codes = _new_recovery_codes(user)
    user.session_version += 1
    audit.about("user.two_factor_enrol", user, user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    key = _derived_key("recovery-code")
    codes = totp.new_recovery_codes()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.add_all(
        RecoveryCode(user_id=user.id, digest=totp.recovery_digest(key, code)) for code in codes
    )
    db.session.flush()
    return codes


def check(user: User, typed: str, when: datetime | None = None) -> Used | None:
    """Accept a code of the user's authenticator or one unused recovery code, each once.

    Spending is one conditional UPDATE (a later time step; an unused code), so two requests
    with the same code cannot both succeed. A refusal is audited too (never the code).
    """
    factor = factor_of(user)
    when = when or utcnow()
    if factor is not None and totp.looks_like_totp(typed):
        secret = unseal(factor.secret)
        step = totp.accepted_step(secret, typed, when, factor.last_step) if secret else None
        if step is not None and _spend_step(factor, step):
            return "code"
    elif factor is not None and typed.strip():
        digest = totp.recovery_digest(_derived_key("recovery-code"), typed)
        spent = db.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.digest == digest,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=when)
            .execution_options(synchronize_session=False)
        )
        if spent.rowcount == 1:  # type: ignore[attr-defined]
            audit.about("user.two_factor_recovery", user, user)
            return "recovery_code"
    # The request answers 401: the view asks for its work (this entry) to be kept.
    audit.about("user.two_factor_failed", user, user)
    return None


def _spend_step(factor: SecondFactor, step: int) -> bool:
    spent = db.session.execute(
        update(SecondFactor)
        .where(SecondFactor.id == factor.id, SecondFactor.last_step < step)
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(spent.rowcount == 1)  # type: ignore[attr-defined]


def reset(target: User, actor: User | None) -> None:
    """Remove a user's second factor and recovery codes and end their sessions (audited);
    where it is required, their next sign-in leads to a new enrolment."""
    db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == target.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == target.id))
    target.session_version += 1
    audit.about("user.two_factor_reset", target, actor)


def enrolled_user_ids() -> frozenset[int]:
    """The ids of every user with a second factor (for the users page)."""
    return frozenset(db.session.scalars(select(SecondFactor.user_id)))
