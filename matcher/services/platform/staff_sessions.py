"""Staff sessions kept on the server, and the log of sign-ins (issue 14).

Each signed-in browser of a staff member is a row (`StaffSession`): the session cookie
holds a random key whose digest names the row. A request's session is live only while its
row is live (`live`), so a staff member can see their sessions and end one, and an admin
can end any user's — the next request of an ended session finds nobody signed in. A logout
or a password change still ends every session at once through `User.session_version`.

Every sign-in attempt is a row too (`SignIn`): admins see each user's failed and successful
sign-ins. Both logs hold addresses and browsers of staff, so `purge` deletes them after
`SIGN_IN_LOG_DAYS`.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from matcher.domain import audit
from matcher.domain.errors import NotFound
from matcher.domain.vocab import SESSION_END_REASONS, SIGN_IN_FAILURES, SIGN_IN_OUTCOMES
from matcher.extensions import db
from matcher.models import SignIn, StaffSession, User, utcnow

#: A session's last use is written at most this often (one UPDATE a minute, not a request).
TOUCH_EVERY = timedelta(seconds=60)
#: How many sign-ins a user's page lists.
SIGN_INS_SHOWN = 50


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User, address: str, agent: str) -> str:
    """Record a new session of `user` signed in just now; return the key for the cookie."""
    key = secrets.token_urlsafe(32)
    db.session.add(
        StaffSession(
            user_id=user.id,
            key_digest=_digest(key),
            version=user.session_version,
            address=address[:64],
            agent=agent[:200],
        )
    )
    db.session.flush()
    return key


def live(user: User, key: object) -> StaffSession | None:
    """The live session of `user` that `key` names, if any (else the session has ended)."""
    if not isinstance(key, str) or not key:
        return None
    return db.session.scalar(
        select(StaffSession).where(
            StaffSession.key_digest == _digest(key),
            StaffSession.user_id == user.id,
            StaffSession.version == user.session_version,
            StaffSession.ended_at.is_(None),
        )
    )


def carry_on(user: User, key: object) -> None:
    """This session goes on after the user's session version changed (a new password,
    enrolling a second factor): every other session has ended, this one has not."""
    if isinstance(key, str) and key:
        db.session.execute(
            update(StaffSession)
            .where(StaffSession.key_digest == _digest(key), StaffSession.user_id == user.id)
            .values(version=user.session_version)
        )


def touch(row: StaffSession, now: datetime | None = None) -> None:
    """Note that the session was used (written at most once a minute)."""
    now = now or utcnow()
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now


def _end(row: StaffSession, reason: str, by: User | None) -> None:
    assert reason in SESSION_END_REASONS
    row.ended_at = utcnow()
    row.end_reason = reason
    row.ended_by_id = by.id if by is not None else None


def end_current(user: User, key: object, reason: str) -> None:
    """End the session `key` names (it was unused too long, too old, or logged out)."""
    row = live(user, key)
    if row is not None:
        _end(row, reason, user if reason == "logout" else None)


def active(user: User, now: datetime | None = None) -> list[StaffSession]:
    """The user's live sessions, the most recently used first: not ended, begun under the
    current session version, used within the idle time and younger than the lifetime."""
    now = now or utcnow()
    config = current_app.config
    idle = timedelta(minutes=float(config["SESSION_IDLE_MINUTES"]))
    lifetime = timedelta(hours=float(config["SESSION_MAX_HOURS"]))
    return list(
        db.session.scalars(
            select(StaffSession)
            .where(
                StaffSession.user_id == user.id,
                StaffSession.version == user.session_version,
                StaffSession.ended_at.is_(None),
                StaffSession.last_seen_at > now - idle - TOUCH_EVERY,
                StaffSession.started_at > now - lifetime,
            )
            .order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())
        )
    )


def end_one(owner: User, session_id: int, by: User) -> None:
    """End one live session of `owner` — by the owner (the list on their account page) or
    by an admin. Audited. A session of `owner` that has ended already stays ended (a
    double click is no error).

    :raises NotFound: "session_not_found" — no live session of `owner` has this id (another
        user's session is not found either).
    """
    row = next((s for s in active(owner) if s.id == session_id), None)
    if row is None:
        mine = db.session.scalar(
            select(StaffSession.id).where(
                StaffSession.id == session_id, StaffSession.user_id == owner.id
            )
        )
        if mine is None:
            raise NotFound("session_not_found")
        return  # ended already (a double click, or by time): nothing more to do
    _end(row, "ended" if by.id == owner.id else "admin", by)
    audit.about("user.session_end", owner, by)


def end_others(owner: User, keep: object, by: User) -> int:
    """End every live session of `owner` except the one `keep` names (None: all). Audited
    once; returns how many ended."""
    kept = _digest(keep) if isinstance(keep, str) and keep else None
    rows = [s for s in active(owner) if s.key_digest != kept]
    for row in rows:
        _end(row, "ended" if by.id == owner.id else "admin", by)
    if rows:
        audit.about("user.session_end", owner, by)
    return len(rows)


def record(user: User | None, outcome: str, address: str, agent: str) -> None:
    """Log one sign-in attempt (None: the address typed belongs to nobody)."""
    assert outcome in SIGN_IN_OUTCOMES
    db.session.add(
        SignIn(
            user_id=user.id if user is not None else None,
            outcome=outcome,
            address=address[:64],
            agent=agent[:200],
        )
    )


def sign_ins(user: User, limit: int = SIGN_INS_SHOWN) -> list[SignIn]:
    """The user's latest sign-in attempts, newest first."""
    return list(
        db.session.scalars(
            select(SignIn)
            .where(SignIn.user_id == user.id)
            .order_by(SignIn.at.desc(), SignIn.id.desc())
            .limit(limit)
        )
    )


def recent_failures(days: int = 7, now: datetime | None = None) -> dict[int, int]:
    """Failed sign-ins of the last `days` per user id (users without any are left out)."""
    since = (now or utcnow()) - timedelta(days=days)
    rows = db.session.execute(
        select(SignIn.user_id, func.count())
        .where(
            SignIn.user_id.is_not(None),
            SignIn.at >= since,
            SignIn.outcome.in_(SIGN_IN_FAILURES),
        )
        .group_by(SignIn.user_id)
    )
    return {int(user_id): int(count) for user_id, count in rows if user_id is not None}


def purge(now: datetime | None = None) -> int:
    """Delete sign-ins and sessions (ended or long unused) older than `SIGN_IN_LOG_DAYS`:
    they hold staff members' addresses and browsers. The caller commits."""
    now = now or utcnow()
    cutoff = now - timedelta(days=int(current_app.config["SIGN_IN_LOG_DAYS"]))
    sign_ins_gone = db.session.execute(delete(SignIn).where(SignIn.at < cutoff))
    sessions_gone = db.session.execute(
        delete(StaffSession).where(
            or_(StaffSession.ended_at < cutoff, StaffSession.last_seen_at < cutoff)
        )
    )
    removed = sign_ins_gone.rowcount + sessions_gone.rowcount  # type: ignore[attr-defined]
    return int(removed)
