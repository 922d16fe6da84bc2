"""The proposals table: filters, order, paging, bad arguments, select all and bulk approval
(with proposals changed meanwhile), details in place, a person's pending proposal on their
page, the hand-picked badge, tenancy, and a constant number of SQL statements per page."""

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from matcher.domain.errors import ServiceError
from matcher.extensions import db
from matcher.models import Agency, Match, Newcomer, User, Volunteer, today
from matcher.services.matching import lifecycle
from matcher.services.matching import proposals as proposal_table
from tests.conftest import inside, login
from tests.matching.conftest import Office, load_match, matches

TODAY = today()


def _ids(html: str) -> list[int]:
    """The proposals of the table, in the table's order."""
    return [int(i) for i in re.findall(r'<tr id="proposal-(\d+)"', html)]


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _client(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    login(client, user)
    return client


@pytest.fixture
def five(
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> dict[str, int]:
    """Five proposals that differ in one thing each (name, language, area, score, waiting,
    children), the ids by a short name."""
    a = office.agency
    old = date(2025, 1, 10)
    people = {
        # Persian on both sides: the only shared Persian.
        "farsi": (
            make_volunteer(a, first_name="Jürgen", last_name="Neumann",
                           languages={"de": "native", "fa": "good"}),
            make_newcomer(a, first_name="Ahmad", languages={"fa": "native"}, postcode="50667",
                          waiting_since=TODAY - timedelta(days=20)),
            0.55,
        ),
        # Persian only on the newcomer's side: not a shared Persian.
        "half": (
            make_volunteer(a, first_name="Lena", last_name="Koch"),
            make_newcomer(a, first_name="Darya", languages={"fa": "native", "ar": "good"},
                          postcode="50667", waiting_since=TODAY - timedelta(days=40)),
            0.62,
        ),
        "umlaut": (
            make_volunteer(a, first_name="Ömer", last_name="Öztürk"),
            make_newcomer(a, first_name="Olena", postcode="50733",
                          waiting_since=TODAY - timedelta(days=5)),
            0.91,
        ),
        "children": (
            make_volunteer(a, first_name="Felix", last_name="Hartmann",
                           certificate_inspected_on=TODAY, certificate_result="clear",
                           certificate_issued_on=TODAY - timedelta(days=30)),
            make_newcomer(a, first_name="Emre", minors=True, postcode="51065",
                          waiting_since=TODAY - timedelta(days=100)),
            0.74,
        ),
        "oldest": (
            make_volunteer(a, first_name="Sabine", last_name="Weißmüller"),
            make_newcomer(a, first_name="Taras", postcode="50823", waiting_since=old),
            0.80,
        ),
    }  # fmt: skip
    return {name: propose(v, n, score=s) for name, (v, n, s) in people.items()}


def test_filters_order_and_search(app: Flask, office: Office, five: dict[str, int]) -> None:
    client = _client(app, office.coordinator)
    page = client.get("/matching/proposals").get_data(as_text=True)
    # The longest-waiting newcomer first, as before the table.
    by_waiting = ["oldest", "children", "half", "farsi", "umlaut"]
    assert _ids(page) == [five[k] for k in by_waiting]
    assert "5 von 5 offenen Vorschlägen" in _text(page)

    def shown(query: str) -> set[int]:
        response = client.get("/matching/proposals?" + query)
        assert response.status_code == 200, query
        return set(_ids(response.get_data(as_text=True)))

    # A shared language: both speak it (Darya speaks Persian, Lena does not).
    assert shown("language=fa") == {five["farsi"]}
    assert shown("area=506") == {five["farsi"], five["half"]}
    assert shown("min_score=74") == {five["umlaut"], five["children"], five["oldest"]}
    assert shown("min_waiting=100") == {five["children"], five["oldest"]}
    assert shown("certificate=yes") == {five["children"]}
    assert five["children"] not in shown("certificate=no") and len(shown("certificate=no")) == 4
    # Either name, folded as everywhere (capital umlauts, ß = ss), words in any order.
    assert shown("q=%C3%96ZT%C3%9CRK") == {five["umlaut"]}
    assert shown("q=olena") == {five["umlaut"]}
    assert shown("q=weissm%C3%BCller+taras") == {five["oldest"]}
    assert shown("q=nobody") == set()
    assert "Kein offener Vorschlag passt zu diesen Filtern." in _text(
        client.get("/matching/proposals?q=nobody").get_data(as_text=True)
    )
    # Filters combine.
    assert shown("language=ar&area=50&min_score=60") == {
        five["half"], five["umlaut"], five["oldest"]
    }  # fmt: skip

    # Order: by score, both ways, with aria-sort on the column and the filters kept.
    by_score = client.get("/matching/proposals?sort=score&dir=desc&area=5").get_data(as_text=True)
    assert _ids(by_score) == [five[k] for k in ("umlaut", "oldest", "children", "half", "farsi")]
    assert re.search(r'aria-sort="descending"><a href="/matching/proposals\?[^"]*dir=asc', by_score)
    assert by_score.count("aria-sort=") == 1  # only the sorted column says how
    newcomer_link = re.findall(r'href="(/matching/proposals\?[^"]*sort=newcomer[^"]*)"', by_score)
    assert "area=5" in newcomer_link[0] and "dir=asc" in newcomer_link[0]
    ascending = client.get("/matching/proposals?sort=score&dir=asc").get_data(as_text=True)
    assert _ids(ascending) == list(reversed(_ids(by_score)))
    by_name = client.get("/matching/proposals?sort=newcomer").get_data(as_text=True)
    assert _ids(by_name) == [five[k] for k in ("farsi", "half", "children", "umlaut", "oldest")]
    by_volunteer = client.get("/matching/proposals?sort=volunteer&dir=desc").get_data(as_text=True)
    assert _ids(by_volunteer)[0] == five["umlaut"]  # Ömer: ö folds after the plain letters
    # The filter form keeps the order when it filters again.
    assert (
        '<input type="hidden" name="sort" value="score"><input type="hidden" name="dir" value="asc">'
        in ascending
    )


def test_paging_keeps_filters_and_a_page_past_the_end_shows_the_last(
    app: Flask, office: Office, five: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proposal_table, "PER_PAGE", 2)
    client = _client(app, office.coordinator)
    first = client.get("/matching/proposals?sort=score&dir=desc").get_data(as_text=True)
    assert _ids(first) == [five["umlaut"], five["oldest"]]
    assert "Seite 1 von 3" in first
    assert 'href="/matching/proposals?sort=score&amp;dir=desc&amp;page=2"' in first
    second = client.get("/matching/proposals?sort=score&dir=desc&page=2").get_data(as_text=True)
    assert _ids(second) == [five["children"], five["half"]]
    # After approving the last page's proposal elsewhere, page 3 is gone: the last is shown.
    gone = client.get("/matching/proposals?sort=score&dir=desc&page=9").get_data(as_text=True)
    assert _ids(gone) == [five["farsi"]]
    assert "Diese Seite gibt es nicht mehr; hier ist die letzte." in gone


BAD_FILTERS = [
    ("min_score=500", "Eine Zahl von 0 bis 100."),
    ("min_score=viel", "Punktzahl mindestens"),
    ("min_waiting=-3", "Tage"),
    ("area=50a", "1 bis 5 Ziffern"),
    ("language=klingon", "Unbekannte Sprache."),
    ("certificate=maybe", "Führungszeugnis"),
    ("sort=password", "Sortieren"),
    ("sort=score&dir=sideways", "Reihenfolge"),
]


def test_bad_filters_get_a_400_with_their_message(app: Flask, office: Office) -> None:
    client = _client(app, office.coordinator)
    for query, message in BAD_FILTERS:
        response = client.get("/matching/proposals?" + query)
        assert response.status_code == 400, query
        html = _text(response.get_data(as_text=True))
        assert "Diese Filter können nicht angewendet werden:" in html, query
        assert message in html, query
        assert "Alle Vorschläge zeigen" in html
    for page in ("0", "x", "100001"):
        assert client.get("/matching/proposals?page=" + page).status_code == 400
    # Blank fields are no filter at all (the form sends them when left empty).
    blank = "q=&language=&area=&min_score=&min_waiting=&certificate="
    assert client.get("/matching/proposals?" + blank).status_code == 200


def _bulk(client: FlaskClient, **data: Any) -> tuple[int, str]:
    response = client.post("/matching/proposals/approve", data=data)
    assert response.status_code == 302, response.status_code
    page = client.get(response.location)
    return response.status_code, _text(page.get_data(as_text=True)) + " @" + response.location


def test_bulk_approve_skips_what_another_coordinator_changed_and_a_double_click_is_harmless(
    app: Flask,
    office: Office,
    five: dict[str, int],
    make_user: Callable[..., User],
    make_volunteer: Callable[..., Volunteer],
) -> None:
    kim = _client(app, office.coordinator)
    page = kim.get("/matching/proposals?language=ar&sort=score").get_data(as_text=True)
    ticked = [five["half"], five["umlaut"], five["children"]]
    for match_id in ticked:  # each row's checkbox names the version the coordinator saw
        assert f'name="selected" value="{match_id}:1" form="bulk"' in page
    # Meanwhile another coordinator approves one and gives another a different volunteer.
    other = _client(app, make_user("coordinator", office.agency))
    assert other.post(f"/matching/proposals/{five['half']}/approve",
                      data={"version": 1}).status_code == 302  # fmt: skip
    swap = make_volunteer(office.agency, first_name="Kai")
    assert other.post(f"/matching/proposals/{five['umlaut']}/alternatives",
                      data={"version": 1, "volunteer_id": swap.id}).status_code == 302  # fmt: skip

    selected = [f"{i}:1" for i in ticked]
    list_args = "language=ar&sort=score&evil=1"
    _, after = _bulk(kim, selected=selected, next_page=1, list_args=list_args)
    assert (
        "1 Patenschaft angenommen, 2 Vorschläge inzwischen von jemand anderem geändert (übersprungen)."
        in after
    )
    assert after.endswith("@/matching/proposals?language=ar&sort=score&page=1")  # filters kept
    assert load_match(app, five["children"]).status == "approved"
    changed = load_match(app, five["umlaut"])
    assert changed.status == "proposed" and changed.volunteer_id == swap.id  # not approved
    assert load_match(app, five["half"]).approved_by_id != office.coordinator.id

    # The same click again (a double submit): nothing is approved twice, no error page.
    _, again = _bulk(kim, selected=selected)
    assert "0 Patenschaften angenommen, 3 Vorschläge inzwischen" in again
    assert len(matches(app, status="approved")) == 2
    with inside(app):
        children = db.session.get(Match, five["children"])
        assert children is not None and len(children.events) == 2  # proposed, approved once


def test_approve_all_on_this_page_without_javascript(
    app: Flask, office: Office, five: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proposal_table, "PER_PAGE", 3)
    client = _client(app, office.coordinator)
    page = client.get("/matching/proposals?sort=score&dir=desc").get_data(as_text=True)
    on_page = re.findall(r'name="on_page" value="(\d+:\d+)"', page)
    assert [int(i.split(":")[0]) for i in on_page] == _ids(page) == [
        five["umlaut"], five["oldest"], five["children"]
    ]  # fmt: skip
    # The select-all checkbox is for scripts (static, no inline script); the button is not.
    assert 'id="select-all" data-select-all="bulk"' in page
    assert '<script src="/static/js/select-all.js" defer></script>' in page
    assert page.count('name="scope" value="page"') == 2  # at the top and at the bottom
    assert page.count(">Angekreuzte Vorschläge annehmen</button>") == 2
    _, after = _bulk(client, scope="page", on_page=on_page, list_args="sort=score&dir=desc")
    assert "3 Patenschaften angenommen." in after
    assert {m.id for m in matches(app, status="approved")} == set(_ids(page))
    # Nothing ticked and not the whole page: a message, nothing approved.
    _, nothing = _bulk(client)
    assert "Bitte wählen Sie mindestens einen Vorschlag." in nothing
    _, forged = _bulk(client, scope="page", on_page=["1;DROP"])
    assert "Ungültige Auswahl." in forged
    assert len(matches(app, status="approved")) == 3


def test_concurrent_bulk_approvals_approve_each_proposal_once(
    app: Flask, office: Office, five: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    barrier = threading.Barrier(2, timeout=20)
    real_lock = lifecycle.lock_people

    def lock_after_barrier(*args: Any) -> None:
        barrier.wait()
        real_lock(*args)
        time.sleep(0.3)  # hold the locks: the other waits, then must see this approval

    monkeypatch.setattr(lifecycle, "lock_people", lock_after_barrier)
    overlapping = [
        [five["farsi"], five["half"], five["umlaut"]],
        [five["umlaut"], five["half"], five["children"]],
    ]
    outcomes: list[Any] = [None, None]

    def approve(i: int) -> None:
        with inside(app):
            actor = db.session.get(User, office.coordinator.id)
            items = [lifecycle.Approval(m, 1) for m in overlapping[i]]
            try:
                outcome = lifecycle.approve_bulk(items, actor, on=TODAY)
                db.session.commit()
                outcomes[i] = ([m.id for m in outcome.approved], outcome.changed)
            except ServiceError as e:  # pragma: no cover - shown in the assertion below
                db.session.rollback()
                outcomes[i] = e
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    approved = [i for o in outcomes for i in o[0]]
    skipped = [i for o in outcomes for i in o[1]]
    assert sorted(approved) == sorted({*overlapping[0], *overlapping[1]})  # each once
    assert sorted(skipped) == sorted([five["half"], five["umlaut"]])  # the loser's overlap
    with inside(app):
        for match_id in approved:
            match = db.session.get(Match, match_id)
            assert match is not None and match.status == "approved" and len(match.events) == 2


def test_details_open_in_place_and_the_hand_picked_badge(
    app: Flask,
    office: Office,
    five: dict[str, int],
    make_volunteer: Callable[..., Volunteer],
) -> None:
    client = _client(app, office.coordinator)
    swap = make_volunteer(
        office.agency,
        first_name="Kai",
        last_name="Brandt",
        languages={"de": "native", "fa": "fluent"},
    )
    assert client.post(f"/matching/proposals/{five['farsi']}/alternatives",
                       data={"version": 1, "volunteer_id": swap.id}).status_code == 302  # fmt: skip
    page = client.get("/matching/proposals?q=ahmad").get_data(as_text=True)
    row = page.split('<tr id="proposal-')[1]
    assert "Kai Brandt" in row and "von Hand gewählt" in row
    details = row.split("<details>")[1].split("</details>")[0]
    for part in ("Gemeinsame Zeiten", "Abgedeckte Themen", "Punktzahl", "Grund der Ablehnung",
                 f'action="/matching/proposals/{five["farsi"]}/reject"'):  # fmt: skip
        assert part in details, part
    # The others were not picked by hand.
    assert "von Hand gewählt" not in client.get("/matching/proposals?q=olena").get_data(
        as_text=True
    )


def test_a_pending_proposal_on_the_newcomer_and_the_volunteer_page(
    app: Flask, office: Office, five: dict[str, int]
) -> None:
    client = _client(app, office.coordinator)
    match = load_match(app, five["children"])
    newcomer_page = client.get(f"/newcomers/{match.newcomer_id}").get_data(as_text=True)
    assert 'id="pending-proposal"' in newcomer_page
    assert "Vorschlag zu prüfen" in _text(newcomer_page) and "Felix Hartmann + Emre" in _text(
        newcomer_page
    )
    assert f'action="/matching/proposals/{match.id}/approve"' in newcomer_page
    # The list of her proposals and Patenschaften links to this section of the same page
    # (a link into the table found the proposal only on its first page).
    assert f'href="#pending-{match.id}"' in newcomer_page
    assert f'id="pending-{match.id}"' in newcomer_page
    volunteer_page = client.get(f"/volunteers/{match.volunteer_id}").get_data(as_text=True)
    assert f'action="/matching/proposals/{match.id}/reject"' in volunteer_page
    # Rejecting from the volunteer's page returns there, the proposal gone from both pages.
    rejected = client.post(f"/matching/proposals/{match.id}/reject",
                           data={"version": 1, "person": "volunteer", "reason": "zieht weg"})  # fmt: skip
    assert rejected.location == f"/volunteers/{match.volunteer_id}"
    assert 'id="pending-proposal"' not in client.get(rejected.location).get_data(as_text=True)
    # Approving from the newcomer's page returns there.
    other = load_match(app, five["oldest"])
    approved = client.post(f"/matching/proposals/{other.id}/approve",
                           data={"version": 1, "person": "newcomer"})  # fmt: skip
    assert approved.location == f"/newcomers/{other.newcomer_id}"
    after = client.get(approved.location).get_data(as_text=True)
    assert "Patenschaft angenommen." in after and 'id="pending-proposal"' not in after
    assert load_match(app, other.id).status == "approved"
    # A newcomer without an open proposal has no such section.
    assert 'id="pending-proposal"' not in client.get(
        f"/newcomers/{match.newcomer_id}").get_data(as_text=True)  # fmt: skip


def test_another_agencys_proposals_are_neither_shown_nor_approved(
    app: Flask,
    office: Office,
    five: dict[str, int],
    make_agency: Callable[..., Agency],
    make_user: Callable[..., User],
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    bonn = make_agency(slug="bonn", name="Bonn")
    theirs = propose(
        make_volunteer(bonn, first_name="Bernd"), make_newcomer(bonn, first_name="Bea")
    )
    client = _client(app, make_user("coordinator", bonn))
    page = client.get("/matching/proposals").get_data(as_text=True)
    assert _ids(page) == [theirs] and "1 von 1 offenen Vorschlägen" in _text(page)
    mine = five["umlaut"]
    assert (
        client.post(f"/matching/proposals/{mine}/approve", data={"version": 1}).status_code == 404
    )
    assert client.post(f"/matching/proposals/{mine}/reject",
                       data={"version": 1, "reason": "x"}).status_code == 404  # fmt: skip
    _, after = _bulk(client, selected=[f"{mine}:1", f"{theirs}:1"])
    assert "1 Patenschaft angenommen, 1 Vorschlag inzwischen" in after
    assert load_match(app, mine).status == "proposed"
    assert load_match(app, theirs).status == "approved"
    _, page_scope = _bulk(client, scope="page", on_page=[f"{five['oldest']}:1"])
    assert load_match(app, five["oldest"]).status == "proposed"


@contextmanager
def _statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_page_takes_the_same_number_of_statements_for_2_rows_as_for_6(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    client = _client(app, office.coordinator)

    def statements(rows: int) -> int:
        client.get("/matching/proposals")  # warm: session, user, agency
        with _statements(app) as seen:
            page = client.get("/matching/proposals?sort=distance").get_data(as_text=True)
        assert len(_ids(page)) == rows
        return len(seen)

    for _ in range(2):
        propose(make_volunteer(office.agency), make_newcomer(office.agency))
    few = statements(2)
    for _ in range(4):
        propose(make_volunteer(office.agency, languages={"de": "native", "uk": "good"}),
                make_newcomer(office.agency, languages={"uk": "native", "ru": "good"}))  # fmt: skip
    assert statements(6) == few  # no statement per row (no N+1)
    assert few <= 14, few
