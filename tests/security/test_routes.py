"""The security suite, generated from `app.url_map`: every endpoint, no list to forget."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from matcher import create_app
from matcher.extensions import db
from matcher.models import Agency, Base, User, Volunteer
from matcher.web import guards
from tests.conftest import (
    PASSWORD_HASH,
    agency_factory,
    app_test_config,
    create_database,
    inside,
    login,
    newcomer_factory,
    seed_two_agencies,
    user_factory,
    volunteer_factory,
)
from tests.security.routes import (
    SECOND_FACTOR_EXEMPT,
    Route,
    blueprint_roles,
    build_url,
    is_public,
    raw_paths,
    redirects_to_login,
    routes,
    send,
    snapshot,
)

MALFORMED = [
    "abc", "-1", "0", "1.5", "99999999999999999999", "2147483648", "%00", "%2e%2e%2f%2e%2e%2fetc",
    "..", "%E2%80%AE", "%F0%9F%98%80", "٣", "1%20OR%201=1", "%3Cscript%3E", "x" * 300,
]  # fmt: skip
QUERIES = [
    "page=abc", "page=-1", "page=99999999999999999999", "page=0", "q=%3Cscript%3E",
    "q=%27%3B%20DROP%20TABLE%20volunteers%3B--", "status=bogus", "q=%00", "q=" + "%C3%BC" * 200,
]  # fmt: skip


def login_guard_problems(app: Flask) -> list[str]:
    """Routes that answer an anonymous request without sending it to the login."""
    client = app.test_client()
    problems = []
    for route in routes(app):
        if is_public(app, route.endpoint):
            continue
        response = send(client, route, build_url(app, route, None))
        if not redirects_to_login(response):
            problems.append(f"{route}: {response.status_code} for an anonymous user")
    return problems


def role_guard_problems(app: Flask, users: dict[str, Any]) -> list[str]:
    """Routes of a role-guarded blueprint that admit a role outside the guard."""
    problems = []
    for role, user in users.items():
        client = app.test_client()
        login(client, user)
        for route in routes(app):
            roles = blueprint_roles(app, route.endpoint)
            if roles in (None, ...) or role in roles:
                continue
            response = send(client, route, build_url(app, route, None))
            if response.status_code != 403:
                problems.append(f"{route}: {response.status_code} for a {role}")
    return problems


def test_every_non_public_endpoint_requires_a_login(app: Flask) -> None:
    assert len(list(routes(app))) > 10
    assert login_guard_problems(app) == []


def test_every_endpoint_requires_the_right_role(app: Flask, two_agencies: dict[str, Any]) -> None:
    users = {"coordinator": two_agencies["a"]["coordinator"], "admin": two_agencies["admin"]}
    assert role_guard_problems(app, users) == []


def test_the_suite_catches_a_route_added_without_a_guard(
    make_app: Callable[..., Flask], two_agencies: dict[str, Any]
) -> None:
    app = make_app()
    leaky = Blueprint("leaky", __name__)

    @leaky.route("/leaky/volunteers/<int:volunteer_id>")
    def leak(volunteer_id: int) -> str:
        return "leaked"

    guarded_wrongly = Blueprint("admin_tools", __name__)
    guarded_wrongly.guarded_roles = frozenset({"admin"})  # claims a guard but installs none

    @guarded_wrongly.route("/admin-tools")
    def tools() -> str:
        return "tools"

    app.register_blueprint(leaky)
    app.register_blueprint(guarded_wrongly)
    problems = login_guard_problems(app)
    assert any("/leaky/volunteers/" in p for p in problems)
    assert any("/admin-tools" in p for p in problems)
    role_problems = role_guard_problems(app, {"coordinator": two_agencies["a"]["coordinator"]})
    assert any("/admin-tools" in p for p in role_problems)


def test_another_agencys_ids_give_404_on_every_method_and_change_nothing(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    client = app.test_client()
    login(client, two_agencies["a"]["coordinator"])
    before = snapshot(app, skip=("audit_events",))
    checked = 0
    for route in routes(app):
        if not route.rule.arguments or is_public(app, route.endpoint):
            continue
        if blueprint_roles(app, route.endpoint) not in (..., None) and "coordinator" not in (
            blueprint_roles(app, route.endpoint) or ()
        ):
            continue  # admin-only pages are a 403 for coordinators anyway
        response = send(client, route, build_url(app, route, two_agencies["b"]))
        assert response.status_code == 404, f"{route}: {response.status_code}"
        body = response.get_data(as_text=True)
        assert "VolB" not in body and "NewB" not in body, route
        checked += 1
    assert checked >= 2
    assert snapshot(app, skip=("audit_events",)) == before


def test_every_post_needs_a_valid_csrf_token(
    make_app: Callable[..., Flask], two_agencies: dict[str, Any]
) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    other = app.test_client()
    # A real token, but from someone else's session.
    other.get("/login")
    with other.session_transaction() as s:
        s["csrf_token"] = "f" * 40
    foreign = _token_from(other, "/login")
    _login_with_csrf(client, two_agencies["admin"])
    before = snapshot(app)
    posts = [r for r in routes(app) if r.method == "POST"]
    assert posts
    for route in posts:
        url = build_url(app, route, two_agencies["a"])
        missing = send(client, route, url)
        assert missing.status_code == 400, f"{route} without token: {missing.status_code}"
        wrong = send(client, route, url, {"csrf_token": foreign})
        assert wrong.status_code == 400, f"{route} with a foreign token: {wrong.status_code}"
    assert snapshot(app) == before


def test_get_requests_change_nothing(app: Flask, two_agencies: dict[str, Any]) -> None:
    for user in (two_agencies["a"]["coordinator"], two_agencies["admin"]):
        client = app.test_client()
        login(client, user)
        before = snapshot(app, skip=("audit_events",))
        for route in routes(app):
            if route.method == "GET":
                send(client, route, build_url(app, route, two_agencies["a"]))
        assert snapshot(app, skip=("audit_events",)) == before


def _swept_routes() -> list[str]:
    """The routes the malformed-input sweep sends something to, read from a throwaway app:
    every route with a path argument (malformed values) and every GET (malformed queries)."""
    app = create_app(app_test_config("sqlite://"))
    return [str(r) for r in routes(app) if r.rule.arguments or r.method == "GET"]


@dataclass
class Sweep:
    """One app and its `two_agencies` rows, shared by every test of the sweep."""

    app: Flask
    people: dict[str, Any]
    routes: dict[str, Route]

    def client(self, who: str) -> FlaskClient:
        """A fresh client, logged in as `who` (a session the last route may have ended)."""
        client = self.app.test_client()
        # "٣" is a digit to the URL converter (user 3), so an earlier route of the sweep may
        # have reset or deactivated a real account: give every account back its login.
        with inside(self.app):
            db.session.execute(update(User).values(active=True, password_hash=PASSWORD_HASH))
            db.session.commit()
        if who != "anonymous":
            user = self.people["a"]["coordinator"] if who == "coordinator" else self.people["admin"]
            assert login(client, user).status_code == 302
        return client


@pytest.fixture(scope="module")
def sweep(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Sweep]:
    """The sweep sends only malformed input, so its tests share one database (as the single
    test they replace did): a few hundred tests, no per-test schema and fixture rows."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sweep') / 'sweep.sqlite'}"
    else:
        url = create_database(request.getfixturevalue("postgres_server_url"), "matcher_sweep")
    app = create_app(app_test_config(url))
    with inside(app):
        Base.metadata.create_all(db.engine)
    people = seed_two_agencies(
        app, agency_factory(app), user_factory(app), volunteer_factory(app),
        newcomer_factory(app),
    )  # fmt: skip
    yield Sweep(app, people, {str(r): r for r in routes(app)})
    with inside(app):
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("route_name", _swept_routes())
@pytest.mark.parametrize("who", ["anonymous", "coordinator", "admin"])
def test_no_page_answers_500_to_malformed_input(sweep: Sweep, who: str, route_name: str) -> None:
    route = sweep.routes[route_name]
    client = sweep.client(who)
    urls = [raw_paths(route, value) for value in MALFORMED] if route.rule.arguments else []
    if route.method == "GET":
        base = build_url(sweep.app, route, sweep.people["a"])
        urls += [f"{base}?{query}" for query in QUERIES]
    # A readiness probe answers 503 by design when the instance is not ready, and the
    # sweep's database is made by create_all, not migrated; a 500 would still be a failure.
    allowed = {503} if route.endpoint == "public.readyz" else set()
    failures = []
    for url in urls:
        response = send(client, route, url, {"q": "\u202e", "page": "99999999999999999999"})
        if response.status_code >= 500 and response.status_code not in allowed:
            failures.append(f"{url}: {response.status_code}")
    assert failures == []


def test_huge_ids_are_404_not_an_overflow(app: Flask, two_agencies: dict[str, Any]) -> None:
    client = app.test_client()
    login(client, two_agencies["admin"])
    assert client.get("/volunteers/99999999999999999999").status_code == 404
    assert client.get("/volunteers/2147483648").status_code == 404
    with inside(app):
        assert db.session.get(Volunteer, two_agencies["a"]["volunteer"].id) is not None


def _token_from(client: FlaskClient, path: str) -> str:
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def _login_with_csrf(client: FlaskClient, user: Any) -> None:
    from tests.conftest import PASSWORD

    token = _token_from(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


# --------------------------------------------------------------------------- second factor


def second_factor_problems(
    app: Flask, sessions: dict[str, tuple[FlaskClient, str]], only: set[str] | None = None
) -> list[str]:
    """Staff routes that a session which passed only the password reaches: each must send it
    to the second step (a user with a factor) or to enrolment (a user who must enrol)."""
    problems = []
    for route in routes(app):
        if is_public(app, route.endpoint) or route.endpoint in SECOND_FACTOR_EXEMPT:
            continue
        if only is not None and route.endpoint not in only:
            continue
        for who, (client, target) in sessions.items():
            response = send(client, route, build_url(app, route, None))
            location = response.headers.get("Location", "")
            if response.status_code != 302 or not location.endswith(target):
                problems.append(f"{route}: {response.status_code} {location} for {who}")
    return problems


def password_only_sessions(app: Flask, people: dict[str, Any]) -> dict[str, Any]:
    """With the second factor mandatory for admins and agency A's coordinators: an admin who
    has one and gave only the password (not logged in: the same for every role), and an admin
    and a coordinator who must still enrol (each role's rule)."""
    from tests.security.two_factor import enrol, password_step

    with inside(app):
        db.session.execute(update(Agency).where(Agency.id == people["a"]["agency"].id).values(
            two_factor_required=True))  # fmt: skip
        db.session.commit()
    make = user_factory(app)
    sessions = {}
    enrol(app, people["admin"])
    client = app.test_client()
    password_step(client, people["admin"])
    sessions["admin (password only)"] = (client, "/login/code")
    for role in ("admin", "coordinator"):
        newcomer = make(role, people["a"]["agency"] if role == "coordinator" else None)
        client = app.test_client()
        assert login(client, newcomer).headers["Location"].endswith("/account/two-factor")
        sessions[f"{role} (not enrolled)"] = (client, "/account/two-factor")
    return sessions


def test_every_staff_route_demands_the_second_factor_once_it_is_mandatory(
    make_app: Callable[..., Flask], two_agencies: dict[str, Any]
) -> None:
    app = make_app(TOTP_REQUIRED_FOR_ADMINS=True)
    sessions = password_only_sessions(app, two_agencies)
    before = snapshot(app, skip=("audit_events",))
    staff_routes = [r for r in routes(app) if not is_public(app, r.endpoint)]
    assert len(staff_routes) > 50
    assert second_factor_problems(app, sessions) == []
    assert snapshot(app, skip=("audit_events",)) == before


def test_the_suite_catches_a_staff_route_let_through_without_the_second_factor(
    make_app: Callable[..., Flask], two_agencies: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(TOTP_REQUIRED_FOR_ADMINS=True)
    sessions = password_only_sessions(app, two_agencies)
    leaked = {"coordinator.volunteers", "admin.users"}
    monkeypatch.setattr(guards, "SECOND_FACTOR_OPEN", guards.SECOND_FACTOR_OPEN | leaked)
    monkeypatch.setattr(guards, "HALF_SIGNED_IN_OPEN", guards.HALF_SIGNED_IN_OPEN | leaked)
    problems = second_factor_problems(app, sessions, only=leaked | {"coordinator.dashboard"})
    assert not any("/dashboard" in p for p in problems)
    assert any("GET /volunteers:" in p and "admin (password only)" in p for p in problems)
    assert any("GET /volunteers:" in p and "coordinator (not enrolled)" in p for p in problems)
    assert any("GET /admin/users:" in p and "admin (not enrolled)" in p for p in problems)
