"""Agencies and staff users, for admins."""

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select

from matcher.domain import audit
from matcher.domain.errors import Conflict, Invalid
from matcher.domain.vocab import DEFAULT_WEIGHTS
from matcher.extensions import db
from matcher.models import Agency, AuditEvent, User, Volunteer
from matcher.services.people import onboarding
from matcher.services.platform import accounts

# Slugs that would collide with fixed paths under /signup/<slug>.
RESERVED_SLUGS = frozenset({"confirm"})


def create_agency(
    slug: str, name: str, city: str = "", umbrella: str = "other", actor: User | None = None
) -> Agency:
    """Create an agency with default settings."""
    slug = slug.strip().lower()
    if not slug or not slug.replace("-", "").isalnum() or not slug.isascii() or len(slug) > 64:
        raise Invalid("slug_invalid")
    if slug in RESERVED_SLUGS:
        raise Invalid("slug_reserved")
    if db.session.scalar(select(Agency.id).where(Agency.slug == slug)) is not None:
        raise Conflict("slug_taken")
    agency = Agency(slug=slug, name=name.strip(), city=city, umbrella=umbrella)
    db.session.add(agency)
    db.session.flush()
    # The default onboarding checklist, nothing required until the agency chooses.
    onboarding.seed_defaults(agency)
    audit.about("agency.create", agency, actor)
    return agency


def agency_by_slug(slug: str) -> Agency | None:
    """The agency with this slug, if any."""
    return db.session.scalar(select(Agency).where(Agency.slug == slug.strip().lower()))


def agencies() -> list[tuple[Agency, int]]:
    """Every agency with its number of volunteers (erased people no longer count)."""
    counts = (
        select(Volunteer.agency_id, func.count().label("n"))
        .where(Volunteer.anonymised_at.is_(None))
        .group_by(Volunteer.agency_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Agency, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.agency_id == Agency.id)
        .order_by(Agency.name)
    )
    return list(rows)


def agency_names() -> list[tuple[int, str]]:
    """Every agency's id and name, by name: for choosing one (no counting of anybody)."""
    return [
        (i, n) for i, n in db.session.execute(select(Agency.id, Agency.name).order_by(Agency.name))
    ]


def busiest_agency_id() -> int | None:
    """The agency with the most volunteers (the first by name of equals), if any.

    It counts every agency's volunteers, as `agencies()` does: ask only when needed.
    """
    rows = agencies()
    return max(rows, key=lambda row: row[1])[0].id if rows else None


def users() -> list[User]:
    """Every staff user, admins first."""
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))


# --------------------------------------------------------------------------- agency settings

SETTINGS = (
    "name",
    "city",
    "umbrella",
    "privacy_contact",
    "max_distance_km",
    "checkin_interval_weeks",
    "trial_weeks",
    "retention_months",
    "two_factor_required",
)


def next_notice_version(version: str) -> str:
    """The version after `version`: "3" → "4"; anything else gets a counter appended."""
    if version.isdigit():
        return str(int(version) + 1)
    head, _, tail = version.rpartition(".")
    return f"{head}.{int(tail) + 1}" if head and tail.isdigit() else f"{version}.2"


def update_agency(
    agency: Agency,
    settings: dict[str, Any],
    weights: dict[str, float],
    privacy_notice_text: str,
    actor: User | None = None,
) -> bool:
    """Save an agency's settings; a changed privacy notice gets a new version. True if it did."""
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise Invalid("bad_details", field=sorted(unknown)[0])
    if set(weights) != set(DEFAULT_WEIGHTS) or any(w < 0 for w in weights.values()):
        raise Invalid("weights_invalid")
    if sum(weights.values()) <= 0:
        raise Invalid("weights_all_zero")
    for key, value in settings.items():
        setattr(agency, key, value)
    agency.weights = {key: float(weights[key]) for key in DEFAULT_WEIGHTS}
    new_notice = privacy_notice_text.replace("\r\n", "\n").strip()
    bumped = new_notice != (agency.privacy_notice_text or "").strip()
    if bumped:
        agency.privacy_notice_text = new_notice
        agency.privacy_notice_version = next_notice_version(agency.privacy_notice_version)
    audit.about("agency.update", agency, actor)
    if bumped:
        audit.about("agency.privacy_notice", agency, actor)
    return bumped


# --------------------------------------------------------------------------- staff users


def generate_password() -> str:
    """A fresh random password, shown once to the admin who asked for it."""
    return secrets.token_urlsafe(12)


def create_staff(
    email: str, name: str, role: str, agency: Agency | None, actor: User
) -> tuple[User, str]:
    """Create a staff user with a generated password; return the user and the password."""
    password = generate_password()
    created = accounts.create_user(email, password, role, agency, name=name.strip(), actor=actor)
    return created, password


def set_active(target: User, active: bool, actor: User) -> None:
    """Activate or deactivate a user; deactivating ends every session of theirs."""
    if target.id == actor.id and not active:
        raise Invalid("cannot_deactivate_self")
    if target.active == active:
        return
    target.active = active
    if not active:
        target.session_version += 1
    audit.about("user.activate" if active else "user.deactivate", target, actor)


def reset_password(target: User, actor: User) -> str:
    """Give a user a new generated password and end their sessions; return it (show once)."""
    password = generate_password()
    target.set_password(password)
    target.session_version += 1
    audit.about("user.password_reset", target, actor)
    return password


def act_as(agency: Agency, actor: User) -> None:
    """An admin starts working on one agency's people (audited: who looked at whose data)."""
    audit.about("agency.act_as", agency, actor)


# --------------------------------------------------------------------------- the audit log


@dataclass(frozen=True)
class AuditPage:
    """A page of audit events with the names of their actors and agencies."""

    page: Pagination
    actors: dict[int, str]
    agencies: dict[int, str]


def audit_log(
    page: int,
    agency_id: int | None = None,
    action: str = "",
    actor_email: str = "",
    day_from: date | None = None,
    day_to: date | None = None,
    per_page: int = 50,
) -> AuditPage:
    """A page of the audit log, newest first."""
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if agency_id is not None:
        stmt = stmt.where(AuditEvent.agency_id == agency_id)
    if action:
        escaped = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(AuditEvent.action.like(escaped + "%", escape="\\"))
    if actor_email:
        actor_ids = select(User.id).where(User.email == accounts.normalise_email(actor_email))
        stmt = stmt.where(AuditEvent.actor_id.in_(actor_ids))
    if day_from is not None:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(day_from, time(), tzinfo=UTC))
    # The last day there is has no day after it: no upper bound then, not an overflow.
    if day_to is not None and day_to < date.max:
        end = datetime.combine(day_to + timedelta(days=1), time(), tzinfo=UTC)
        stmt = stmt.where(AuditEvent.at < end)
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    events = list(result.items)
    actor_ids_on_page = {e.actor_id for e in events if e.actor_id is not None}
    agency_ids_on_page = {e.agency_id for e in events if e.agency_id is not None}
    actors = dict(
        db.session.execute(select(User.id, User.email).where(User.id.in_(actor_ids_on_page))).all()
    )
    agencies = dict(
        db.session.execute(
            select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids_on_page))
        ).all()
    )
    return AuditPage(result, actors, agencies)
