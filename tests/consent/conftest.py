"""Fixtures for a newcomer's consents managed by staff: an office, a logged-in coordinator."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from matcher.models import Agency, User
from tests.conftest import login
from tests.matching.conftest import Office, office, propose  # noqa: F401  (fixtures)


@pytest.fixture
def staff(app: Flask, office: Office) -> FlaskClient:  # noqa: F811
    """The office's coordinator, logged in."""
    client = app.test_client()
    assert login(client, office.coordinator).status_code == 302
    return client


@pytest.fixture
def other_office(make_agency: Callable[..., Agency], make_user: Callable[..., User]) -> Any:
    agency = make_agency(slug="bonn-test", name="Integrationsagentur Bonn")
    return Office(agency, make_user("coordinator", agency, name="Bo Bonn"))
