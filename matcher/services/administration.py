"""Agencies and staff users, for admins."""

from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import Agency, User, Volunteer
from matcher.services import audit


class AdminError(ValueError):
    """An administrative request that cannot be carried out."""


def create_agency(slug: str, name: str, city: str = "", umbrella: str = "other") -> Agency:
    """Create an agency with default settings."""
    slug = slug.strip().lower()
    if not slug or not slug.replace("-", "").isalnum() or len(slug) > 64:
        raise AdminError("the slug may contain only letters, digits and dashes")
    if db.session.scalar(select(Agency.id).where(Agency.slug == slug)) is not None:
        raise AdminError(f"an agency with the slug {slug} exists already")
    agency = Agency(slug=slug, name=name.strip(), city=city, umbrella=umbrella)
    db.session.add(agency)
    db.session.flush()
    audit.record("agency.create", object_type="agency", object_id=agency.id, agency_id=agency.id)
    db.session.commit()
    return agency


def agency_by_slug(slug: str) -> Agency | None:
    """The agency with this slug, if any."""
    return db.session.scalar(select(Agency).where(Agency.slug == slug.strip().lower()))


def agencies() -> list[tuple[Agency, int]]:
    """Every agency with its number of volunteers."""
    counts = (
        select(Volunteer.agency_id, func.count().label("n"))
        .group_by(Volunteer.agency_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Agency, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.agency_id == Agency.id)
        .order_by(Agency.name)
    )
    return list(rows)


def users() -> list[User]:
    """Every staff user, admins first."""
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))
