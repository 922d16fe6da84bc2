"""The mail outbox: queued in the caller's transaction, delivered by a worker.

Delivery claims each due message first — `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL,
a compare-and-set on `locked_until` on SQLite — and commits the claim before talking to
the mail server, so two workers never hold the same message. A message is marked sent
only by the worker whose claim is still on it. A failed send is retried with exponential
backoff and given up after `OUTBOX_MAX_ATTEMPTS`; a permanent refusal (5xx) at once.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, delete, or_, select, update

from matcher.database import is_sqlite
from matcher.extensions import db
from matcher.models import OutboxMessage, utcnow
from matcher.services.platform import mail

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)


def enqueue(kind: str, to_address: str, subject: str, body: str) -> OutboxMessage:
    """Add a mail to the outbox; it is sent only if the caller's transaction commits."""
    message = OutboxMessage(kind=kind, to_address=to_address, subject=subject, body=body)
    db.session.add(message)
    return message


@dataclass
class Report:
    """What one pass of the worker did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        """Messages this pass worked on."""
        return self.sent + self.retrying + self.failed


def _due(now: datetime) -> list[ColumnElement[bool]]:
    return [
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
    ]


def _claim(now: datetime, limit: int) -> list[tuple[int, datetime]]:
    """Claim up to `limit` due messages for this worker; return (id, claim) pairs."""
    until = now + timedelta(seconds=int(current_app.config["OUTBOX_LOCK_SECONDS"]))
    order = (OutboxMessage.next_attempt_at, OutboxMessage.id)
    candidates = select(OutboxMessage.id).where(*_due(now)).order_by(*order).limit(limit)
    if is_sqlite(db.engine):
        claimed: list[int] = []
        lost: set[int] = set()
        while len(claimed) < limit:
            ids = list(db.session.scalars(candidates.where(OutboxMessage.id.not_in(lost))))
            db.session.commit()
            if not ids:
                break
            for message_id in ids[: limit - len(claimed)]:
                # Compare-and-set: only one worker's UPDATE still finds the row unclaimed.
                result = db.session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message_id, *_due(now))
                    .values(locked_until=until)
                )
                db.session.commit()
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(message_id)
                else:  # another worker was quicker: look further down the queue
                    lost.add(message_id)
    else:
        claimed = list(db.session.scalars(candidates.with_for_update(skip_locked=True)))
        if claimed:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(claimed))
                .values(locked_until=until)
            )
        db.session.commit()
    return [(message_id, until) for message_id in claimed]


def _finish(message_id: int, claim: datetime, **values: object) -> bool:
    """Write the outcome if this worker's claim is still on the message."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.locked_until == claim)
        .values(attempts=OutboxMessage.attempts + 1, locked_until=None, **values)
    )
    db.session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        log.warning("outbox message %s: claim ran out before the send finished", message_id)
        return False
    return True


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt after `attempts` failed ones (doubling, capped)."""
    base = timedelta(seconds=int(current_app.config["OUTBOX_BACKOFF_SECONDS"]))
    delay: timedelta = base * 2 ** max(attempts - 1, 0)
    return min(delay, MAX_BACKOFF)


def send_due(now: datetime | None = None, limit: int | None = None) -> Report:
    """Deliver the messages that are due now; one pass, for cron or the worker loop."""
    now = now or utcnow()
    limit = limit or int(current_app.config["OUTBOX_BATCH"])
    max_attempts = int(current_app.config["OUTBOX_MAX_ATTEMPTS"])
    report = Report()
    for message_id, claim in _claim(now, limit):
        message = db.session.get(OutboxMessage, message_id)
        if message is None:  # erased meanwhile
            continue
        try:
            mail.deliver(message)
        except mail.DeliveryError as e:
            attempts = message.attempts + 1
            give_up = e.permanent or attempts >= max_attempts
            _finish(
                message_id,
                claim,
                status="failed" if give_up else "pending",
                last_error=str(e)[:500],
                next_attempt_at=utcnow() + backoff(attempts),
            )
            if give_up:
                report.failed += 1
                log.error("outbox message %s given up after %s attempts", message_id, attempts)
            else:
                report.retrying += 1
        else:
            _finish(message_id, claim, status="sent", sent_at=utcnow(), last_error="")
            report.sent += 1
    return report


def send_all_due(now: datetime | None = None) -> Report:
    """Deliver every message due at `now`, pass after pass (a failed one waits for later)."""
    now = now or utcnow()
    total = Report()
    while True:
        report = send_due(now)
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
        if report.claimed == 0:
            return total


def work(stop: threading.Event, poll_seconds: float | None = None) -> None:
    """Deliver mail until `stop` is set: at once while there is some, else every few seconds."""
    poll = poll_seconds if poll_seconds is not None else current_app.config["OUTBOX_POLL_SECONDS"]
    while not stop.is_set():
        try:
            report = send_due()
        except Exception:  # the database may be away for a moment; keep the worker alive
            log.exception("outbox pass failed")
            db.session.rollback()
            report = Report()
        finally:
            db.session.remove()
        if report.claimed == 0:
            stop.wait(float(poll))


def purge_sent(older_than_days: int | None = None, *, now: datetime | None = None) -> int:
    """Delete sent and given-up mails older than this many days (default: the configured
    `SENT_MAIL_RETENTION_DAYS`): they hold names and links. The caller commits."""
    days = older_than_days
    if days is None:
        days = int(current_app.config["SENT_MAIL_RETENTION_DAYS"])
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_(("sent", "failed")), OutboxMessage.created_at < cutoff
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def forget_address(address: str, kinds: tuple[str, ...] | None = None) -> None:
    """Remove the mails (of these kinds, or all) to an address, for erasure; the caller commits."""
    stmt = delete(OutboxMessage).where(OutboxMessage.to_address == address)
    if kinds is not None:
        stmt = stmt.where(OutboxMessage.kind.in_(kinds))
    db.session.execute(stmt)
