"""Fixtures for the matching workflow: a small agency with one coordinator, and proposals."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Agency, Match, MatchEvent, Newcomer, User, Volunteer, utcnow
from tests.conftest import inside


@dataclass
class Office:
    """An agency with its coordinator."""

    agency: Agency
    coordinator: User


@pytest.fixture
def office(make_agency: Callable[..., Agency], make_user: Callable[..., User]) -> Office:
    agency = make_agency(slug="koeln-test", name="Integrationsagentur Test")
    return Office(agency, make_user("coordinator", agency, name="Kim Koordination"))


@pytest.fixture
def propose(app: Flask) -> Callable[..., int]:
    """Store a proposal of a volunteer and a newcomer (as a run would); return its id."""

    def make(volunteer: Volunteer, newcomer: Newcomer, score: float = 0.7) -> int:
        with inside(app):
            match = Match(
                agency_id=volunteer.agency_id,
                volunteer_id=volunteer.id,
                newcomer_id=newcomer.id,
                status="proposed",
                score=score,
                components={"language": 1.0},
                reasons=[],
            )
            db.session.add(match)
            db.session.flush()
            db.session.add(MatchEvent(match_id=match.id, from_status=None, to_status="proposed"))
            db.session.commit()
            return match.id

    return make


def load_match(app: Flask, match_id: int) -> Match:
    """A match as it is in the database now (detached)."""
    with inside(app):
        match = db.session.get(Match, match_id)
        assert match is not None
        db.session.expunge(match)
        return match


def matches(app: Flask, **where: Any) -> list[Match]:
    """The matches with the given column values, detached."""
    with inside(app):
        stmt = select(Match).order_by(Match.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(Match, key) == value)
        rows = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return rows


def set_values(app: Flask, model: Any, row_id: int, **values: Any) -> None:
    """Change a row behind the coordinator's back (another user, another tab)."""
    with inside(app):
        row = db.session.get(model, row_id)
        for key, value in values.items():
            setattr(row, key, value)
        db.session.commit()


def today() -> Any:
    return utcnow().date()
