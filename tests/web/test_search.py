"""Name search on the coordinator lists and the data-protection page, for real names."""

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from matcher.extensions import db
from matcher.models import Newcomer, Volunteer
from matcher.services.people import erasure
from tests.conftest import inside, login


@pytest.fixture
def people(
    make_agency: Callable[..., Any],
    make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> dict[str, Any]:
    agency = make_agency()
    return {
        "coordinator": make_user("coordinator", agency),
        "admin": make_user("admin"),
        "guenther": make_volunteer(
            agency, first_name="Günther", last_name="Öztürk-Meißner", email="gm@example.org"
        ),
        "arzu": make_volunteer(agency, first_name="Ärzu", last_name="Schüßler"),
        "sabine": make_volunteer(
            agency, first_name="Sabine", last_name="Weißmüller", email="sw@example.org"
        ),
        "felix": make_volunteer(agency, first_name="Felix", last_name="Hartmann"),
        "hartmut": make_volunteer(agency, first_name="Hartmut", last_name="Felixberger"),
        "uemran": make_newcomer(agency, first_name="Ümran"),
        "oemer": make_newcomer(agency, first_name="Ömer"),
    }


def _found(client: FlaskClient, path: str, query: str, people: dict[str, Any]) -> set[str]:
    """Whom a search page lists for `query`, by the people fixture's keys (read from links)."""
    response = client.get(path, query_string={"q": query})
    assert response.status_code == 200, (path, query)
    html = response.get_data(as_text=True)
    links = {
        (kind, int(person_id))
        for kind, person_id in re.findall(
            r'/(?:admin/privacy/)?(volunteer|newcomer)s?/(\d+)(?:/data\.json)?"', html
        )
    }
    return {
        key
        for key, person in people.items()
        if isinstance(person, Volunteer | Newcomer)
        and ("volunteer" if isinstance(person, Volunteer) else "newcomer", person.id) in links
    }


CAPITALS_AND_SHARP_S = [
    ("Öztürk", {"guenther"}),
    ("öztürk", {"guenther"}),
    ("ÖZTÜRK", {"guenther"}),
    ("Ärzu", {"arzu"}),
    ("ärzu", {"arzu"}),
    ("Schüssler", {"arzu"}),
    ("Weißmüller", {"sabine"}),
    ("weissmüller", {"sabine"}),
    ("WEISSMÜLLER", {"sabine"}),
    ("WEIẞMÜLLER", {"sabine"}),  # the capital sharp s
    ("meissner", {"guenther"}),
]


def test_walk_b3_capital_umlauts_and_sharp_s_are_found_on_the_lists_and_the_privacy_page(
    app: Flask, people: dict[str, Any]
) -> None:
    coordinator, admin = app.test_client(), app.test_client()
    login(coordinator, people["coordinator"])
    login(admin, people["admin"])
    for query, expected in CAPITALS_AND_SHARP_S:
        assert _found(coordinator, "/volunteers", query, people) == expected, query
        assert _found(admin, "/admin/privacy", query, people) == expected, query
    for query in ("Ümran", "ümran", "ÜMRAN"):
        assert _found(coordinator, "/newcomers", query, people) == {"uemran"}, query
        assert _found(admin, "/admin/privacy", query, people) == {"uemran"}, query
    assert _found(coordinator, "/newcomers", "ÖMER", people) == {"oemer"}


def test_walk_b4_full_name_is_found_in_either_order(app: Flask, people: dict[str, Any]) -> None:
    coordinator, admin = app.test_client(), app.test_client()
    login(coordinator, people["coordinator"])
    login(admin, people["admin"])
    for query, expected in [
        ("Felix Hartmann", {"felix"}),
        ("Hartmann Felix", {"felix"}),
        ("  felix\thartmann ", {"felix"}),
        ("Sabine Weißmüller", {"sabine"}),
        ("weissmüller sabine", {"sabine"}),
        ("Günther Öztürk-Meißner", {"guenther"}),
        ("Felix", {"felix", "hartmut"}),  # Felixberger: every word is a part of a name
        ("Felix Hartmut", {"hartmut"}),
        ("Felix Weißmüller", set()),
    ]:
        assert _found(coordinator, "/volunteers", query, people) == expected, query
        assert _found(admin, "/admin/privacy", query, people) == expected, query


def test_email_is_still_found_and_like_wildcards_are_plain_letters(
    app: Flask, people: dict[str, Any]
) -> None:
    coordinator, admin = app.test_client(), app.test_client()
    login(coordinator, people["coordinator"])
    login(admin, people["admin"])
    for query, expected in [
        ("gm@example.org", {"guenther"}),
        ("GM@Example.ORG", {"guenther"}),
        ("Günther gm@", {"guenther"}),
        ("%", set()),
        ("_", set()),
        ("G%nther", set()),
        ("\\", set()),
    ]:
        assert _found(coordinator, "/volunteers", query, people) == expected, query
        assert _found(admin, "/admin/privacy", query, people) == expected, query


def test_privacy_page_finds_a_newcomer_by_number(app: Flask, people: dict[str, Any]) -> None:
    admin = app.test_client()
    login(admin, people["admin"])
    number = people["oemer"].id
    assert "oemer" in _found(admin, "/admin/privacy", str(number), people)
    assert admin.get("/admin/privacy?q=99999999999999999999").status_code == 200


def test_search_key_follows_name_changes_and_is_emptied_on_erasure(
    app: Flask, people: dict[str, Any]
) -> None:
    with inside(app):
        volunteer = db.session.get(Volunteer, people["sabine"].id)
        newcomer = db.session.get(Newcomer, people["uemran"].id)
        assert volunteer is not None and newcomer is not None
        assert volunteer.search_key == "sabine weissmüller sw@example.org"
        assert newcomer.search_key == "ümran"
        volunteer.last_name = "Groß"
        volunteer.email = "sabine.gross@example.org"
        newcomer.first_name = "Ümmühan"
        db.session.commit()
    with inside(app):
        volunteer = db.session.get(Volunteer, people["sabine"].id)
        newcomer = db.session.get(Newcomer, people["uemran"].id)
        assert volunteer is not None and newcomer is not None
        assert volunteer.search_key == "sabine gross sabine.gross@example.org"
        assert newcomer.search_key == "ümmühan"
        erasure.erase_volunteer(volunteer, None, on=date(2026, 11, 29))
        erasure.erase_newcomer(newcomer, None, on=date(2026, 11, 29))
        db.session.commit()
    with inside(app):
        keys = [
            db.session.get(Volunteer, people["sabine"].id).search_key,  # type: ignore[union-attr]
            db.session.get(Newcomer, people["uemran"].id).search_key,  # type: ignore[union-attr]
        ]
        assert keys == ["", ""]
    admin = app.test_client()
    login(admin, people["admin"])
    assert _found(admin, "/admin/privacy", "erased", people) == set()
