"""Walk `app.url_map` and check every endpoint, so a route added next year is covered too."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

from matcher.extensions import db
from matcher.models import Base
from tests.conftest import inside

# Which fixture object (of `two_agencies`) a path parameter names. A new route with another
# id parameter makes tests/web/test_tenancy.py `test_every_id_route_is_covered` fail until
# it is added here.
ID_PARAMETERS = {
    "volunteer_id": "volunteer",
    "newcomer_id": "newcomer",
    "match_id": "match",
    "run_id": "run",
    "checkin_id": "checkin",
    "note_id": "note",
    "session_id": "session",
}
# Endpoints anonymous users may reach although their blueprint is not declared public.
# Keep this list short and reviewed: everything else needs a login.
PUBLIC_ENDPOINTS = {"static", "auth.login"}
# Endpoints a session that gave only the password (or a user who must still enrol) reaches:
# the way in and out, and enrolment. Reviewed like the list above; every other staff route
# must send such a session to the second step or to enrolment.
SECOND_FACTOR_EXEMPT = {"static", "auth.login", "auth.logout", "auth.second_step", "auth.enrol"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass
class Route:
    """One (rule, method) pair of the app."""

    rule: Rule
    method: str

    @property
    def endpoint(self) -> str:
        return self.rule.endpoint

    def __str__(self) -> str:
        return f"{self.method} {self.rule.rule}"


def routes(app: Flask) -> Iterator[Route]:
    """Every rule and method of the app, static files aside."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        for method in METHODS:
            if method in (rule.methods or ()):
                yield Route(rule, method)


def blueprint_roles(app: Flask, endpoint: str) -> Any:
    """The roles a blueprint's guard admits; None for a declared-public blueprint; ... if none."""
    name = endpoint.rpartition(".")[0]
    bp = app.blueprints.get(name)
    return getattr(bp, "guarded_roles", ...) if bp else ...


def is_public(app: Flask, endpoint: str) -> bool:
    """Declared public: in a `guards.public` blueprint or on the reviewed list."""
    return endpoint in PUBLIC_ENDPOINTS or blueprint_roles(app, endpoint) is None


def build_url(app: Flask, route: Route, people: dict[str, Any] | None, filler: str = "x") -> str:
    """The route's URL with ids taken from `people` (fixture objects) and `filler` elsewhere."""
    values: dict[str, Any] = {}
    for arg in route.rule.arguments:
        if arg in ID_PARAMETERS and people is not None:
            values[arg] = people[ID_PARAMETERS[arg]].id
        elif isinstance(route.rule._converters[arg], NumberConverter):
            values[arg] = 1
        else:
            values[arg] = filler
    with app.test_request_context():
        return url_for(route.endpoint, **values)


def raw_paths(route: Route, value: str) -> str:
    """The rule's path with every argument replaced by a raw, possibly malformed, value."""
    return re.sub(r"<[^>]+>", value, route.rule.rule)


def send(client: FlaskClient, route: Route, url: str, data: dict[str, str] | None = None) -> Any:
    """Send the route's method to a URL."""
    return client.open(url, method=route.method, data=data or {})


#: Logs of the sign-in itself: a request of a live session notes its last use (once a
#: minute), which is no change to anyone's data.
SIGN_IN_LOGS = ("staff_sessions", "sign_ins")


def snapshot(app: Flask, skip: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but the sign-in logs), to prove a refused request changed
    nothing."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with inside(app):
        for table in Base.metadata.sorted_tables:
            if table.name in skip or table.name in SIGN_IN_LOGS:
                continue
            rows = db.session.execute(select(table)).all()
            out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return out


def redirects_to_login(response: Any) -> bool:
    """A 302 to the login page, or a 401."""
    if response.status_code == 401:
        return True
    return response.status_code in (302, 303) and "/login" in response.headers.get("Location", "")
