"""L7 (pen test): staff sessions never ended for inactivity and stayed valid for 31 days.
Now a session ends after `SESSION_IDLE_MINUTES` unused (30) and `SESSION_MAX_HOURS` (12)
after the sign-in, whatever happens in between."""

import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from matcher.web.guards import LAST_SEEN_AT, SIGNED_IN_AT
from tests.conftest import login


def _signed_in(
    app: Flask, make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> FlaskClient:
    client = app.test_client()
    login(client, make_user("coordinator", make_agency()))
    assert client.get("/dashboard").status_code == 200  # stamps the sign-in
    return client


def _age(client: FlaskClient, **seconds_ago: float) -> None:
    with client.session_transaction() as session:
        for key, ago in seconds_ago.items():
            session[key] = int(time.time() - ago)


def test_L7_a_session_unused_for_30_minutes_ends(
    app: Flask, make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> None:
    client = _signed_in(app, make_user, make_agency)
    _age(client, **{LAST_SEEN_AT: 29 * 60})
    assert client.get("/volunteers").status_code == 200  # still in use: goes on
    _age(client, **{LAST_SEEN_AT: 31 * 60})
    response = client.get("/volunteers")
    assert response.status_code == 302 and "/login" in response.location
    assert "next=/volunteers" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "Ihre Sitzung ist abgelaufen" in page
    assert client.get("/dashboard").status_code == 302  # and it stays ended


def test_L7_a_session_ends_12_hours_after_the_sign_in_however_busy(
    app: Flask, make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> None:
    client = _signed_in(app, make_user, make_agency)
    _age(client, **{SIGNED_IN_AT: 11.9 * 3600, LAST_SEEN_AT: 60})
    assert client.get("/dashboard").status_code == 200
    _age(client, **{SIGNED_IN_AT: 12.1 * 3600, LAST_SEEN_AT: 60})
    assert client.get("/dashboard").status_code == 302


def test_L7_both_limits_are_settings(
    make_app: Callable[..., Flask], make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> None:
    app = make_app(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    client = _signed_in(app, make_user, make_agency)
    _age(client, **{LAST_SEEN_AT: 6 * 60})
    assert client.get("/dashboard").status_code == 302
    client = _signed_in(app, make_user, make_agency)
    _age(client, **{SIGNED_IN_AT: 3700, LAST_SEEN_AT: 10})
    assert client.get("/dashboard").status_code == 302
