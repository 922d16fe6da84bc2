"""Fixtures for the background jobs: an agency with people to match, its coordinator, and
what a run looks like in the database now."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Agency, Match, MatchRun, User
from tests.conftest import inside, login, missing_service
from tests.redisserver import RedisServer, RedisUnavailable


@dataclass
class Desk:
    """An agency with three volunteers and three newcomers who fit, and its coordinator."""

    agency: Agency
    coordinator: User

    def client(self, app: Flask) -> FlaskClient:
        """A test client logged in as the coordinator."""
        client = app.test_client()
        assert login(client, self.coordinator).status_code == 302
        return client


@pytest.fixture
def desk(
    make_agency: Callable[..., Agency],
    make_user: Callable[..., User],
    make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> Desk:
    agency = make_agency(slug="koeln-jobs", name="Integrationsagentur Köln")
    for _ in range(3):
        make_volunteer(agency)
        make_newcomer(agency)
    return Desk(agency, make_user("coordinator", agency, name="Kim Koordination"))


def load_runs(app: Flask) -> list[MatchRun]:
    """Every run in the database now, oldest first (detached)."""
    with inside(app):
        found = list(db.session.scalars(select(MatchRun).order_by(MatchRun.id)))
        db.session.expunge_all()
        return found


def proposals(app: Flask) -> list[Match]:
    """The open proposals in the database now."""
    with inside(app):
        found = list(db.session.scalars(select(Match).where(Match.status == "proposed")))
        db.session.expunge_all()
        return found


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server started for this run."""
    try:
        server = RedisServer()
        url = server.start()
    except RedisUnavailable as e:
        missing_service(f"Redis tests skipped: {e}")
    try:
        yield url
    finally:
        server.stop()
