"""The mail outbox: queued in the caller's transaction, delivered by a worker.

A worker claims one due mail at a time with a short lease (`OUTBOX_LEASE_SECONDS`) —
`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, a compare-and-set on `locked_until` on
SQLite — and commits the claim before it talks to the mail server. While the SMTP
conversation runs, a heartbeat renews the lease, so a slow server never lets a second
worker take the mail, and a killed worker's mail is free again seconds later.

The lease's end time is also its owner's token: a new claim always ends later than the
lease it replaces, so a worker whose lease was taken over (it stalled longer than the
lease) can neither renew it nor mark the mail sent. Delivery is therefore at least once:
a mail goes out twice only when its worker dies after the server took it and before the
sent mark, and then with the same Message-ID, so the receiver can drop the copy.

A failed send is retried with exponential backoff (a warning in the log) and given up
after `OUTBOX_MAX_ATTEMPTS`, a permanent refusal (5xx) at once (an error in the log).
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType

from flask import current_app
from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.engine import Engine

from matcher.database import is_sqlite
from matcher.extensions import db
from matcher.models import OutboxMessage, utcnow
from matcher.services.platform import mail

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
# How many times per lease the heartbeat renews it: two renewals may fail before it ends.
RENEWALS_PER_LEASE = 3


#: Not a mail: a volunteer asked for a profile link with this address. The worker finds
#: their registrations and queues the link mails; the request itself only wrote this row,
#: the same for a known and an unknown address, so its timing tells nothing (L4).
LINK_REQUEST = "link_request"


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
    # Sends whose lease ran out before they finished: left to whoever holds it now.
    lost: int = 0

    @property
    def claimed(self) -> int:
        """Messages this pass worked on."""
        return self.sent + self.retrying + self.failed + self.lost


@dataclass(frozen=True)
class Claim:
    """A mail this worker holds until `until` (unless the heartbeat extends it)."""

    message_id: int
    until: datetime
    attempt: int  # this send's number, counting sends cut short by a dead worker
    taken_over: bool  # another worker's lease on it ran out: it died or stalled mid-send


def lease_length() -> timedelta:
    """How long a claim lasts without being renewed (`OUTBOX_LEASE_SECONDS`)."""
    return timedelta(seconds=float(current_app.config["OUTBOX_LEASE_SECONDS"]))


def _due(now: datetime) -> list[ColumnElement[bool]]:
    return [
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
    ]


def claim_next(now: datetime) -> Claim | None:
    """Claim the next due mail for this worker (committed), or None when none is due."""
    until = max(now, utcnow()) + lease_length()  # `now` may be a while ago, or simulated
    candidates = (
        select(OutboxMessage.id, OutboxMessage.locked_until)
        .where(*_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )
    claimed = update(OutboxMessage).values(locked_until=until, attempts=OutboxMessage.attempts + 1)
    if not is_sqlite(db.engine):
        # The row lock keeps every other worker off this mail until the claim commits.
        row = db.session.execute(candidates.limit(1).with_for_update(skip_locked=True)).first()
        if row is None:
            db.session.commit()
            return None
        message_id, held_until = row
        attempt = db.session.scalar(
            claimed.where(OutboxMessage.id == message_id).returning(OutboxMessage.attempts)
        )
        db.session.commit()
        return Claim(message_id, until, int(attempt or 0), held_until is not None)
    # SQLite has no row locks: compare-and-set on the lease just read. Only one worker's
    # UPDATE still finds it as it was; the others look further down the queue.
    lost: set[int] = set()
    while True:
        rows = db.session.execute(candidates.where(OutboxMessage.id.not_in(lost)).limit(5)).all()
        db.session.commit()
        if not rows:
            return None
        for message_id, held_until in rows:
            same_lease = (
                OutboxMessage.locked_until.is_(None)
                if held_until is None
                else OutboxMessage.locked_until == held_until
            )
            attempt = db.session.scalar(
                claimed.where(OutboxMessage.id == message_id, same_lease, *_due(now)).returning(
                    OutboxMessage.attempts
                )
            )
            db.session.commit()
            if attempt is not None:
                return Claim(message_id, until, int(attempt), held_until is not None)
            lost.add(message_id)


class Heartbeat:
    """Renews a claim's lease in a background thread while the mail server is asked.

    It writes through its own connection (the worker's session stays idle meanwhile).
    `until` is the lease's current end. Renewing stops once another worker holds the mail
    (this one stalled longer than a whole lease); the outcome is then not recorded.
    """

    def __init__(self, engine: Engine, claim: Claim, lease: timedelta) -> None:
        self.until = claim.until
        self._engine = engine
        self._message_id = claim.message_id
        self._lease = lease
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"outbox-lease-{claim.message_id}", daemon=True
        )

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        interval = self._lease.total_seconds() / RENEWALS_PER_LEASE
        while not self._stop.wait(interval):
            try:
                if not self.renew():
                    return
            except Exception:  # the database may be away for a moment: try again soon
                log.warning("outbox message %s: could not renew its lease", self._message_id)

    def renew(self) -> bool:
        """Extend the lease by a whole lease from now; False once another worker holds it."""
        until = max(utcnow() + self._lease, self.until)
        mine = (OutboxMessage.id == self._message_id, OutboxMessage.locked_until == self.until)
        with self._engine.begin() as conn:
            result = conn.execute(update(OutboxMessage).where(*mine).values(locked_until=until))
        if result.rowcount != 1:
            return False
        self.until = until
        return True


def _finish(message_id: int, until: datetime, **values: object) -> bool:
    """Write the outcome if this worker's lease is still on the message."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.locked_until == until)
        .values(locked_until=None, **values)
    )
    db.session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt after `attempts` failed ones (doubling, capped)."""
    base = timedelta(seconds=int(current_app.config["OUTBOX_BACKOFF_SECONDS"]))
    delay: timedelta = base * 2 ** max(attempts - 1, 0)
    return min(delay, MAX_BACKOFF)


def deliver(claim: Claim, mailer: mail.Mailer, now: datetime, report: Report) -> None:
    """Send one claimed mail, renewing its lease meanwhile, and record the outcome."""
    error: Exception | None = None
    label = f"outbox message {claim.message_id}"
    request = db.session.get(OutboxMessage, claim.message_id)
    if request is not None and request.kind == LINK_REQUEST:
        _expand_link_request(request, claim)
        return
    # The lease runs from the claim: keep it from here on, not just during the SMTP talk.
    with Heartbeat(db.engine, claim, lease_length()) as heartbeat:
        message = db.session.get(OutboxMessage, claim.message_id)
        if message is None:  # erased meanwhile
            return
        try:
            composed = mail.compose(message)
        except Exception as e:  # e.g. a line break in a header: no later attempt can do better
            composed, error = None, e
        db.session.commit()  # no transaction stays open while the mail server is asked
        if composed is not None:
            label += f" {composed['Message-ID']}"
            if claim.taken_over:
                log.warning(
                    "%s: the worker sending it stopped before it finished; "
                    "sending it again (attempt %s)",
                    label,
                    claim.attempt,
                )
            try:
                mailer.send(composed)
            except Exception as e:  # a mail that breaks the sender is retried, not sent for ever
                error = e
    _record(claim, heartbeat.until, error, now, label, report, retry=composed is not None)


def _expand_link_request(request: OutboxMessage, claim: Claim) -> None:
    """Turn a link request into the link mails it asks for (none for an unknown address),
    in one transaction with removing the request; the mails are due at once."""
    from matcher import tenancy
    from matcher.services.people import selfservice

    if request.locked_until != claim.until:  # another worker took it over meanwhile
        db.session.rollback()
        return
    with tenancy.all_agencies():
        mails = selfservice.request_link(request.to_address)
    for message in mails:  # due when the request was: this very pass sends them
        message.next_attempt_at = request.next_attempt_at
    db.session.delete(request)
    db.session.commit()


def _record(
    claim: Claim,
    until: datetime,
    error: Exception | None,
    now: datetime,
    label: str,
    report: Report,
    *,
    retry: bool = True,
) -> None:
    """Mark the mail sent, to be retried or given up — if this worker's lease is still on it."""
    if error is None:
        if _finish(claim.message_id, until, status="sent", sent_at=utcnow(), last_error=""):
            log.info("%s: sent (attempt %s)", label, claim.attempt)
            report.sent += 1
            return
    else:
        expected = isinstance(error, mail.DeliveryError)
        # The exception's text, not its repr: that would quote the address it choked on.
        reason = str(error) if expected else f"{type(error).__name__}: {error}"
        trace = None if expected else error  # a bug rather than the mail server: keep the trace
        give_up = (
            not retry
            or (isinstance(error, mail.DeliveryError) and error.permanent)
            or claim.attempt >= int(current_app.config["OUTBOX_MAX_ATTEMPTS"])
        )
        next_attempt_at = max(now, utcnow()) + backoff(claim.attempt)
        if _finish(
            claim.message_id,
            until,
            status="failed" if give_up else "pending",
            last_error=reason[:500],
            next_attempt_at=next_attempt_at,
        ):
            if give_up:
                log.error(
                    "%s: given up after attempt %s: %s",
                    label,
                    claim.attempt,
                    reason,
                    exc_info=trace,
                )
                report.failed += 1
            else:
                log.warning(
                    "%s: attempt %s failed, retrying at %s: %s",
                    label,
                    claim.attempt,
                    next_attempt_at.isoformat(timespec="seconds"),
                    reason,
                    exc_info=trace,
                )
                report.retrying += 1
            return
    log.warning(
        "%s: lease ran out before the send finished (%s); another worker may send it again",
        label,
        "sent" if error is None else error,
    )
    report.lost += 1


def send_due(
    now: datetime | None = None,
    limit: int | None = None,
    stop: threading.Event | None = None,
) -> Report:
    """Deliver the mails that are due, one claim at a time, until none is left.

    :param now: the time to deliver for (default: the clock, read anew for every claim,
        so a mail that falls due or a lease that runs out meanwhile is taken too).
    :param limit: stop after this many mails.
    :param stop: once set, finish the mail in hand and return.
    """
    report = Report()
    with mail.Mailer(current_app.config) as mailer:
        while limit is None or report.claimed < limit:
            if stop is not None and stop.is_set():
                break
            at = now or utcnow()
            claim = claim_next(at)
            if claim is None:
                break
            deliver(claim, mailer, at, report)
    return report


def send_all_due(now: datetime | None = None) -> Report:
    """Deliver every message due at `now` (default: this moment), once; a failed one waits
    for its next attempt."""
    return send_due(now or utcnow())


def work(stop: threading.Event, poll_seconds: float | None = None) -> None:
    """Deliver mail until `stop` is set (the mail in hand is finished first): at once while
    there is some, else every few seconds."""
    poll = poll_seconds if poll_seconds is not None else current_app.config["OUTBOX_POLL_SECONDS"]
    while not stop.is_set():
        try:
            report = send_due(stop=stop)
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


def forget_address(
    address: str, kinds: tuple[str, ...] | None = None, *, unsent_only: bool = False
) -> None:
    """Remove the mails (of these kinds, or all) to an address, for erasure; the caller commits.

    `unsent_only` keeps what went out already and what a worker is sending right now: the
    mails still waiting go, the others are the record of what the address was sent.
    """
    stmt = delete(OutboxMessage).where(OutboxMessage.to_address == address)
    if kinds is not None:
        stmt = stmt.where(OutboxMessage.kind.in_(kinds))
    if unsent_only:
        now = utcnow()
        stmt = stmt.where(
            OutboxMessage.status == "pending",
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
        )
    db.session.execute(stmt)


def count_to(address: str, kinds: tuple[str, ...], since: datetime) -> int:
    """How many mails of these kinds were queued for an address since then and not taken
    back (waiting, sent or given up on), counted in SQL."""
    return int(
        db.session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.to_address == address,
                OutboxMessage.kind.in_(kinds),
                OutboxMessage.created_at >= since,
            )
        )
        or 0
    )
