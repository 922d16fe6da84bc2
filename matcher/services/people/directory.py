"""Reading the agency's people. Queries are scoped to the agency by `matcher.tenancy`."""

from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from matcher.extensions import db
from matcher.models import Newcomer, NewcomerLanguage, Volunteer, VolunteerLanguage
from matcher.models.search import matches_every_word

PER_PAGE = 25


def counts() -> dict[str, Any]:
    """Volunteers and newcomers by status, for the dashboard."""
    vol = dict(
        db.session.execute(select(Volunteer.status, func.count()).group_by(Volunteer.status)).all()
    )
    new = dict(
        db.session.execute(select(Newcomer.status, func.count()).group_by(Newcomer.status)).all()
    )
    return {"volunteers": vol, "newcomers": new}


def list_volunteers(
    q: str, status: str, page: int, language: str = "", area: str = ""
) -> Pagination:
    """A page of volunteers by name or email, status, a language they speak and postcode area.

    Every word of `q` must occur in the first name, last name or e-mail, in any order.
    """
    stmt = (
        select(Volunteer)
        .options(selectinload(Volunteer.languages))
        .where(Volunteer.anonymised_at.is_(None))
        .order_by(Volunteer.last_name, Volunteer.first_name, Volunteer.id)
    )
    if language:
        stmt = stmt.where(
            exists().where(
                VolunteerLanguage.volunteer_id == Volunteer.id, VolunteerLanguage.code == language
            )
        )
    if area:
        stmt = stmt.where(Volunteer.postcode.startswith(area, autoescape=True))
    if q:
        stmt = stmt.where(matches_every_word(Volunteer.search_key, q))
    if status:
        stmt = stmt.where(Volunteer.status == status)
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)


def list_newcomers(
    q: str, status: str, page: int, language: str = "", area: str = ""
) -> Pagination:
    """A page of newcomers by first name, status, a language they speak and postcode area."""
    stmt = (
        select(Newcomer)
        .options(selectinload(Newcomer.languages))
        .where(Newcomer.anonymised_at.is_(None))
        .order_by(Newcomer.waiting_since, Newcomer.id)
    )
    if language:
        stmt = stmt.where(
            exists().where(
                NewcomerLanguage.newcomer_id == Newcomer.id, NewcomerLanguage.code == language
            )
        )
    if area:
        stmt = stmt.where(Newcomer.postcode.startswith(area, autoescape=True))
    if q:
        stmt = stmt.where(matches_every_word(Newcomer.search_key, q))
    if status:
        stmt = stmt.where(Newcomer.status == status)
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)
