"""Choosing an agency counts nobody: with 200 agencies, counting every agency's volunteers
was most of an admin page's time (benchmarks/scale.py); only the agency list, which shows
the counts, and a page that must pick the busiest agency still count."""

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from matcher.extensions import db
from matcher.models import Agency, Volunteer
from tests.conftest import inside

COUNTING = "GROUP BY volunteers.agency_id"


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL the app runs, as it runs it."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    with inside(app):
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_pages_that_offer_agencies_to_choose_from_count_nobody(
    two_agencies: dict[str, Any],
    logged_in: Callable[..., FlaskClient],
    statements: list[str],
) -> None:
    admin = logged_in(user=two_agencies["admin"])
    a = two_agencies["a"]["agency"].id
    for path in (
        f"/admin/figures?agency={a}",
        f"/admin/figures/report?agency={a}",
        "/admin/audit",
        f"/admin/audit?agency={a}",
        "/admin/privacy?q=vol",
        "/admin/act-as",
        "/admin/users",
    ):
        statements.clear()
        answer = admin.get(path)
        assert answer.status_code == 200, path
        assert "Agency A" in answer.get_data(as_text=True), path
        assert not [s for s in statements if COUNTING in s], path
    statements.clear()
    page = admin.get("/admin/agencies").get_data(as_text=True)
    assert [s for s in statements if COUNTING in s]  # the list shows the counts
    assert "Agency A" in page and "Agency B" in page


def test_without_a_choice_the_figures_show_the_agency_with_most_volunteers(
    app: Flask,
    two_agencies: dict[str, Any],
    logged_in: Callable[..., FlaskClient],
    make_agency: Callable[..., Agency],
    make_volunteer: Callable[..., Volunteer],
) -> None:
    make_agency(slug="aaa", name="Aaa, new and empty")  # sorts first, has nobody
    b = two_agencies["b"]["agency"]
    make_volunteer(b)
    admin = logged_in(user=two_agencies["admin"])
    page = admin.get("/admin/figures").get_data(as_text=True)
    chosen = re.search(
        r'<option[^>]*selected[^>]*value="(\d+)"|<option[^>]*value="(\d+)"[^>]*selected', page
    )
    assert chosen is not None
    assert int(chosen.group(1) or chosen.group(2)) == b.id
