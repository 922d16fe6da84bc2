"""The weekly digest: one German mail per opted-in coordinator with the counts of
"Heute zu tun" (`workqueue.counts`) and links to the dashboard.

Counts and links only: the mail names nobody (a mailbox is not the place for newcomers'
names). At most one digest per coordinator and ISO week: the week is claimed with a
conditional UPDATE of `users.last_digest_week` before the mail is queued, in the same
transaction, so a second run in the same week — or a second worker at the same time —
queues nothing. A week with nothing to do sends nothing (the week stays unclaimed, so a
later run in it sends once something comes up). Each agency's counts are read in that
agency's own tenancy scope.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, or_, select, update

from matcher import i18n, tenancy
from matcher.extensions import db
from matcher.models import Agency, User
from matcher.services.matching import workqueue
from matcher.services.platform import outbox

STAFF_LANGUAGE = "de"
MAIL_KIND = "weekly_digest"


@dataclass(frozen=True)
class Digest:
    """One digest queued (or, in a dry run, that would be)."""

    user_id: int
    email: str
    agency_id: int
    week: str
    counts: dict[str, int]


def iso_week(on: date) -> str:
    """The ISO week of a day, e.g. "2026-W48" (the week of 29 November 2026)."""
    year, week, _ = on.isocalendar()
    return f"{year}-W{week:02d}"


def _not_sent_in(week: str) -> ColumnElement[bool]:
    return or_(User.last_digest_week.is_(None), User.last_digest_week != week)


def due(on: date) -> list[User]:
    """Active coordinators who opted in and have had no digest in the week of `on`."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.role == "coordinator",
                User.active.is_(True),
                User.agency_id.is_not(None),
                User.weekly_digest.is_(True),
                _not_sent_in(iso_week(on)),
            )
            .order_by(User.id)
        )
    )


def set_opt_in(user: User, wanted: bool) -> None:
    """A coordinator opts in to the weekly digest, or out of it."""
    user.weekly_digest = bool(wanted)


def send(on: date, *, stale_days: int, dry_run: bool = False) -> list[Digest]:
    """Queue this week's digest for each coordinator who opted in and has none yet.

    :param dry_run: only say who would get which counts; nothing is queued or claimed.
    :return: the digests queued (or that would be), in user order.
    """
    week = iso_week(on)
    done: list[Digest] = []
    for user in due(on):
        agency_id = int(user.agency_id or 0)
        with tenancy.for_agency(agency_id):
            agency = db.session.get(Agency, agency_id)
            counts = workqueue.counts(agency_id, on, stale_days=stale_days)
        if agency is None or not any(counts.values()):
            continue  # nothing to do is no mail; a later run this week looks again
        if not dry_run:
            claimed = db.session.execute(
                update(User)
                .where(User.id == user.id, _not_sent_in(week))
                .values(last_digest_week=week)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another run claimed this week just now
            subject, body = i18n.render_mail(
                "weekly_digest",
                STAFF_LANGUAGE,
                user=user,
                agency=agency,
                counts=counts,
                kinds=workqueue.KINDS,
                week=week,
                total=sum(counts.values()),
            )
            outbox.enqueue(MAIL_KIND, user.email, subject, body)
        done.append(Digest(user.id, user.email, agency_id, week, counts))
    return done
