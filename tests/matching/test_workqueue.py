""" "Heute zu tun": each kind of the work queue appears when its condition holds and goes
when a coordinator has handled it, only ever with the coordinator's own agency's items."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from matcher import tenancy
from matcher.domain import transitions
from matcher.extensions import db
from matcher.models import (
    Agency,
    CheckIn,
    Match,
    MatchRun,
    Newcomer,
    User,
    Volunteer,
    today,
    utcnow,
)
from matcher.services.matching import workqueue
from matcher.services.people import erasure
from tests.conftest import inside, login, persist

Factory = Callable[..., Any]


def _years_ago(on: date, years: int, days: int = 0) -> date:
    day = min(on.day, 28) if on.month == 2 else on.day  # no 29 February five years ago
    return on.replace(year=on.year - years, day=day) + timedelta(days=days)


def _match(app: Flask, agency: Agency, v: Volunteer, n: Newcomer, status: str, **extra: Any) -> int:
    now = utcnow()
    match = Match(
        agency_id=agency.id,
        volunteer_id=v.id,
        newcomer_id=n.id,
        status=status,
        score=0.7,
        components={"language": 1.0},
        reasons=[],
        approved_at=now if status != "proposed" else None,
        started_at=now if status in ("active", "paused") else None,
        **extra,
    )
    persist(app, match)
    if status != "proposed":
        with inside(app):
            db.session.get(Newcomer, n.id).status = "matched"  # type: ignore[union-attr]
            db.session.commit()
    return match.id


def seed(
    app: Flask, agency: Agency, p: str, make_volunteer: Factory, make_newcomer: Factory
) -> dict[str, int]:
    """One item of every kind for `agency`, names prefixed with `p`; also near misses that
    must not be listed (an unconfirmed sign-up, a certificate valid for years, a fresh
    proposal, a newcomer the last run left unmatched for want of free volunteers only)."""
    on = today()
    ids: dict[str, int] = {}
    signup = make_volunteer(agency, first_name=f"{p}Sina", status="applied")
    make_volunteer(agency, first_name=f"{p}Ulla", status="applied", email_confirmed_at=None)
    ids["signup"] = signup.id
    cert = {"certificate_inspected_on": on - timedelta(days=30), "certificate_result": "clear"}
    ids["expiring"] = make_volunteer(
        agency, first_name=f"{p}Carla", certificate_issued_on=_years_ago(on, 5, 20), **cert
    ).id
    make_volunteer(agency, first_name=f"{p}Gerd", certificate_issued_on=_years_ago(on, 2), **cert)
    expired = make_volunteer(
        agency, first_name=f"{p}Emil", certificate_issued_on=_years_ago(on, 5, -10), **cert
    )
    ids["expired"] = expired.id
    child = make_newcomer(agency, first_name=f"{p}Kira", minors=True)
    ids["expired_match"] = _match(app, agency, expired, child, "approved")

    overdue = _match(app, agency, make_volunteer(agency, first_name=f"{p}Olga"),
                     make_newcomer(agency, first_name=f"{p}Omar"), "active")  # fmt: skip
    persist(app, CheckIn(agency_id=agency.id, match_id=overdue, due_on=on - timedelta(days=3)))
    ids["overdue"] = overdue
    red = _match(app, agency, make_volunteer(agency, first_name=f"{p}Rita"),
                 make_newcomer(agency, first_name=f"{p}Rami"), "active")  # fmt: skip
    persist(
        app,
        CheckIn(agency_id=agency.id, match_id=red, due_on=on - timedelta(days=20),
                done_at=utcnow(), held_on=on - timedelta(days=1), light="red"),
        CheckIn(agency_id=agency.id, match_id=red, due_on=on + timedelta(weeks=8)),
    )  # fmt: skip
    ids["red"] = red
    ids["attention"] = _match(
        app, agency, make_volunteer(agency, first_name=f"{p}Paula"),
        make_newcomer(agency, first_name=f"{p}Pia"), "active",
        attention="volunteer_paused", attention_since=utcnow(),
    )  # fmt: skip
    ids["stale"] = _match(
        app, agency, make_volunteer(agency, first_name=f"{p}Stefan"),
        make_newcomer(agency, first_name=f"{p}Sara"), "proposed",
        proposed_at=utcnow() - timedelta(days=10),
    )  # fmt: skip
    _match(app, agency, make_volunteer(agency, first_name=f"{p}Fritz"),
           make_newcomer(agency, first_name=f"{p}Frida"), "proposed",
           proposed_at=utcnow() - timedelta(days=2))  # fmt: skip
    lonely = make_newcomer(agency, first_name=f"{p}Nora", waiting_since=on - timedelta(days=40))
    taken = make_newcomer(agency, first_name=f"{p}Tina")
    ids["lonely"] = lonely.id
    persist(
        app,
        MatchRun(agency_id=agency.id, status="finished", finished_at=utcnow(),
                 unmatched=[{"newcomer": lonely.id, "reason": "no_feasible_volunteer"},
                            {"newcomer": taken.id, "reason": "volunteers_taken"}]),
    )  # fmt: skip
    return ids


def queue_of(app: Flask, agency: Agency) -> dict[str, workqueue.Kind]:
    with app.app_context(), tenancy.for_agency(agency.id):
        return {k.kind: k for k in workqueue.today_list(agency.id, today(), stale_days=7)}


def names(kind: workqueue.Kind) -> set[str]:
    return {n for it in kind.items for n in (it.volunteer, it.newcomer) if n}


def _agencies(
    app: Flask, make_agency: Factory, make_user: Factory, make_volunteer: Factory,
    make_newcomer: Factory, seeded: tuple[str, ...],
) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {}
    for p in ("A", "B"):
        agency = make_agency(name=f"Agentur {p}")
        out[p] = {
            "agency": agency,
            "coordinator": make_user("coordinator", agency, name=f"Koordination {p}"),
            "ids": seed(app, agency, p, make_volunteer, make_newcomer) if p in seeded else {
                "expiring": make_volunteer(agency, first_name=f"{p}Carla").id
            },
        }  # fmt: skip
    return out


@pytest.fixture
def two(
    app: Flask, make_agency: Factory, make_user: Factory, make_volunteer: Factory,
    make_newcomer: Factory,
) -> dict[str, Any]:  # fmt: skip
    """Agencies A and B, each with one item of every kind."""
    return _agencies(app, make_agency, make_user, make_volunteer, make_newcomer, ("A", "B"))


@pytest.fixture
def one(
    app: Flask, make_agency: Factory, make_user: Factory, make_volunteer: Factory,
    make_newcomer: Factory,
) -> dict[str, Any]:  # fmt: skip
    """Agency A with one item of every kind; agency B with only a volunteer, BCarla."""
    return _agencies(app, make_agency, make_user, make_volunteer, make_newcomer, ("A",))


def test_each_kind_is_listed_while_it_holds_and_goes_when_handled(
    app: Flask, two: dict[str, Any]
) -> None:
    a, ids = two["A"]["agency"], two["A"]["ids"]
    found = queue_of(app, a)
    assert {k: v.count for k, v in found.items()} == {
        "signups": 1, "certificates": 2, "checkins": 2, "attention": 1, "proposals": 1,
        "no_volunteer": 1,
    }  # fmt: skip
    assert names(found["signups"]) == {"ASina Muster"}
    certs = {it.volunteer: it for it in found["certificates"].items}
    assert certs["AEmil Muster"].state == "expired" and certs["AEmil Muster"].days == -10
    assert certs["ACarla Muster"].state == "expiring" and certs["ACarla Muster"].days == 20
    checkins = {it.id: it for it in found["checkins"].items}
    assert [it.id for it in found["checkins"].items] == [ids["red"], ids["overdue"]]  # red first
    assert checkins[ids["red"]].state == "red" and checkins[ids["red"]].days is None
    assert checkins[ids["overdue"]].state == "overdue" and checkins[ids["overdue"]].days == 3
    assert found["attention"].items[0].state == "volunteer_paused"
    assert names(found["proposals"]) == {"AStefan Muster", "ASara"}
    assert found["proposals"].items[0].days == 10
    assert names(found["no_volunteer"]) == {"ANora"} and found["no_volunteer"].run_at
    # Tenancy: nothing of agency B, in the service and on the page.
    everything = set().union(*(names(k) for k in found.values()))
    assert everything and not any(n.startswith("B") for n in everything)

    client = app.test_client()
    login(client, two["A"]["coordinator"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Heute zu tun" in html
    for name in ("ASina", "ACarla", "AEmil", "AOlga", "ARita", "APaula", "AStefan", "ANora"):
        assert name in html, name
    assert "BSina" not in html and "BNora" not in html
    assert f"/volunteers/{ids['expired']}/certificate-letter" in html
    listed = client.get("/today?kind=signups").get_data(as_text=True)
    assert "ASina" in listed and "BSina" not in listed and "AUlla" not in listed
    assert "AFritz" not in html  # proposed two days ago: not yet stale ...
    app.config["PROPOSAL_STALE_DAYS"] = 1
    assert "AFritz" in client.get("/dashboard").get_data(as_text=True)  # ... after one day
    app.config["PROPOSAL_STALE_DAYS"] = 7
    assert client.get("/today?kind=nonsense").status_code == 404

    # Handled, each where its link leads.
    on = today()
    assert client.post(f"/volunteers/{ids['signup']}/status", data={"change": "activate"}).status_code == 302  # fmt: skip
    for volunteer_id in (ids["expiring"], ids["expired"]):
        response = client.post(
            f"/volunteers/{volunteer_id}/certificate",
            data={"inspected_on": on.isoformat(), "issued_on": on.isoformat(), "result": "clear"},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    for match_id in (ids["overdue"], ids["red"]):
        with inside(app):
            pending = db.session.scalar(
                select(CheckIn.id).where(CheckIn.match_id == match_id, CheckIn.done_at.is_(None))
            )
        response = client.post(f"/checkins/{pending}", data={"light": "green", "note": ""})
        assert response.status_code == 302
    assert client.post(f"/patenschaften/{ids['attention']}/acknowledge").status_code == 302
    response = client.post(f"/matching/proposals/{ids['stale']}/approve", data={"version": 1})
    assert response.status_code == 302
    # A new run found her a possible volunteer (the latest finished run counts).
    persist(app, MatchRun(agency_id=a.id, status="finished", finished_at=utcnow(), unmatched=[]))

    assert {k: v.count for k, v in queue_of(app, a).items()} == dict.fromkeys(workqueue.KINDS, 0)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Keine Anmeldung wartet." in html and "ASina" not in html
    # Agency B's queue was not touched by any of it.
    assert {k: v.count for k, v in queue_of(app, two["B"]["agency"]).items()}["checkins"] == 2


def test_the_dashboard_asks_a_fixed_number_of_queries_however_many_items(
    app: Flask, one: dict[str, Any], make_volunteer: Factory
) -> None:
    agency = one["A"]["agency"]

    def statements() -> int:
        seen: list[str] = []
        with app.app_context(), tenancy.for_agency(agency.id):
            engine = db.engine
            listener = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                workqueue.today_list(agency.id, today())
            finally:
                event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements()
    for i in range(12):
        make_volunteer(agency, first_name=f"Neu{i}", status="applied")
    assert statements() == few
    assert queue_of(app, agency)["signups"].count == 13
    assert len(queue_of(app, agency)["signups"].items) == workqueue.DASHBOARD_ITEMS


def test_a_volunteer_pausing_or_leaving_on_their_own_flags_their_patenschaften(
    app: Flask, make_agency: Factory, make_user: Factory, make_volunteer: Factory,
    make_newcomer: Factory,
) -> None:  # fmt: skip
    agency = make_agency()
    coordinator = make_user("coordinator", agency)
    pausing, stepping, leaving = (make_volunteer(agency) for _ in range(3))
    running = {v.id: _match(app, agency, v, make_newcomer(agency), "active")
               for v in (pausing, stepping, leaving)}  # fmt: skip
    with inside(app):
        transitions.apply(db.session.get(Volunteer, pausing.id), "pause", actor=None, on=today())
        transitions.apply(
            db.session.get(Volunteer, stepping.id), "pause",
            actor=db.session.get(User, coordinator.id), on=today(),
        )  # fmt: skip
        erasure.erase_volunteer(db.session.get(Volunteer, leaving.id), None, on=today())
        db.session.commit()
        flags = {
            m.volunteer_id: (m.status, m.attention)
            for m in db.session.scalars(select(Match).where(Match.id.in_(running.values())))
        }
    assert flags == {
        pausing.id: ("active", "volunteer_paused"),
        stepping.id: ("active", None),  # the coordinator paused them: nothing to tell
        leaving.id: ("ended", "volunteer_left"),
    }
    assert queue_of(app, agency)["attention"].count == 2


def test_the_certificate_letter_is_german_printable_and_the_agencys_own(
    app: Flask, one: dict[str, Any]
) -> None:
    two = one
    client = app.test_client()
    login(client, two["A"]["coordinator"])
    ids = two["A"]["ids"]
    page = client.get(f"/volunteers/{ids['expiring']}/certificate-letter")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    issued = _years_ago(today(), 5, 20)
    last_valid = _years_ago(issued, -5) - timedelta(days=1)
    issued_text, last_text = (f"{d.day}. {GERMAN_MONTHS[d.month - 1]} {d.year}"
                              for d in (issued, last_valid))  # fmt: skip
    for text in (
        "Agentur A", "ACarla", "Muster", "50823", "erweitertes Führungszeugnis",
        "Gebührenbefreiung", "§ 30a", "JVKostG", "ehrenamtlich und unentgeltlich",
        "Unterschrift und Stempel", "css/documents.css", "data-print", issued_text,
        f"bis einschließlich {last_text}",
    ):  # fmt: skip
        assert text in html, text
    expired = client.get(f"/volunteers/{ids['expired']}/certificate-letter")
    assert "nicht mehr berücksichtigen" in expired.get_data(as_text=True)
    other = two["B"]["ids"]["expiring"]
    foreign = client.get(f"/volunteers/{other}/certificate-letter")
    assert foreign.status_code == 404 and "BCarla" not in foreign.get_data(as_text=True)


GERMAN_MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
    "Oktober", "November", "Dezember",
)  # fmt: skip


def test_the_patenschaften_list_shows_lights_and_overdue_check_ins_in_colour_and_words(
    app: Flask, one: dict[str, Any]
) -> None:
    two = one
    client = app.test_client()
    login(client, two["A"]["coordinator"])
    html = client.get("/patenschaften").get_data(as_text=True)
    rows = {row.split('href="/patenschaften/')[1].split('"')[0]: row
            for row in html.split("<tr")[2:]}  # fmt: skip
    ids = two["A"]["ids"]
    red, overdue = rows[str(ids["red"])], rows[str(ids["overdue"])]
    assert 'class="light-row-red"' in red and "light-red" in red and "In Schwierigkeiten" in red
    assert 'class="light-row-overdue"' in overdue and "Check-in überfällig" in overdue
    assert "light-row" not in rows[str(ids["attention"])]
