"""Regression tests for the new user's walkthrough (shared/findings/walk.md, section 5).

B1–B5 and B7 have their own tests where they were fixed (tests/test_walk_regressions.py,
tests/web/test_search.py, tests/exports, tests/admin/test_figures.py); these are the rest.
"""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Agency, CheckIn, Match, MatchRun, Newcomer, Volunteer, utcnow
from matcher.services.lists import figures
from matcher.services.matching import preview, problem, views
from tests.conftest import inside, login
from tests.matching.conftest import Office

TODAY = utcnow().date()


def _coordinator(app: Flask, office: Office) -> FlaskClient:
    client = app.test_client()
    login(client, office.coordinator)
    return client


def _proposed(app: Flask) -> dict[int, int]:
    """newcomer id → volunteer id of the open proposals."""
    with inside(app):
        rows = db.session.execute(
            select(Match.newcomer_id, Match.volunteer_id).where(Match.status == "proposed")
        ).all()
        return dict(rows)


def test_walk_b6_numbers_durations_and_distances_in_german_format(
    app: Flask,
    office: Office,
    make_user: Callable[..., Any],
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    run_jobs: Callable[[], int],
) -> None:
    for _ in range(40):
        make_volunteer(office.agency, capacity=1)
    for _ in range(30):
        make_newcomer(office.agency)
    client = _coordinator(app, office)
    client.post("/matching/run")
    run_jobs()
    with inside(app):
        run_id = db.session.scalars(select(MatchRun.id)).one()
    detail = client.get(f"/matching/runs/{run_id}").get_data(as_text=True)
    assert "Es schlägt 30 Paare vor." in detail
    seconds = detail.split("<dt>Dauer</dt><dd>")[1].split(" s</dd>")[0]
    assert "," in seconds and "." not in seconds  # "0,4 s", not "0.4 s"
    assert "1.200" in detail  # 40 × 30 possible pairs, with a thousands separator
    assert "15,0 km" in detail and "Sprache 3,0" in detail
    admin = app.test_client()
    login(admin, make_user("admin"))
    settings = admin.get(f"/admin/agencies/{office.agency.id}").get_data(as_text=True)
    assert 'value="15,0"' in settings and 'value="3,0"' in settings
    assert "40 × 30 = 1.200" in " ".join(re.sub(r"<[^>]+>", "", settings).split())


def test_walk_b8_a_volunteer_picked_by_hand_stays_through_later_runs(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    run_jobs: Callable[[], int],
) -> None:
    thomas = make_volunteer(office.agency, first_name="Thomas", postcode="50823")
    lena = make_volunteer(office.agency, first_name="Lena", postcode="50733", lat=51.0, lon=6.95)
    emre = make_newcomer(office.agency, first_name="Emre")
    client = _coordinator(app, office)
    client.post("/matching/run")
    run_jobs()
    assert _proposed(app) == {emre.id: thomas.id}
    (match_id,) = _match_ids(app)
    picked = client.post(
        f"/matching/proposals/{match_id}/alternatives", data={"version": 1, "volunteer_id": lena.id}
    )
    assert picked.status_code == 302
    for _ in range(2):
        assert client.post("/matching/run").status_code == 302
        run_jobs()
        assert _proposed(app) == {emre.id: lena.id}
    # Lena's one place holds Emre in the engine too: she is not proposed to anybody else.
    other = make_newcomer(office.agency, first_name="Fatma")
    client.post("/matching/run")
    run_jobs()
    assert _proposed(app) == {emre.id: lena.id, other.id: thomas.id}


def _match_ids(app: Flask) -> list[int]:
    with inside(app):
        return list(db.session.scalars(select(Match.id).where(Match.status == "proposed")))


def test_walk_b9_a_pair_ended_for_no_time_is_not_proposed_again_and_the_volunteer_pauses(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    run_jobs: Callable[[], int],
) -> None:
    juergen = make_volunteer(office.agency, first_name="Jürgen", capacity=2)
    taras = make_newcomer(office.agency, first_name="Taras")
    client = _coordinator(app, office)
    client.post("/matching/run")
    run_jobs()
    (match_id,) = _match_ids(app)
    client.post(f"/matching/proposals/{match_id}/approve", data={"version": 1})
    client.post(f"/patenschaften/{match_id}/activate", data={"version": 2})
    ended = client.post(
        f"/patenschaften/{match_id}/end",
        data={"version": 3, "reason": "no_time", "note": "neue Arbeitsstelle mit Schichtdienst"},
        follow_redirects=True,
    )
    assert "pausiert" in ended.get_data(as_text=True)
    with inside(app):
        assert db.session.get(Volunteer, juergen.id).status == "paused"  # type: ignore[union-attr]
        assert db.session.get(Newcomer, taras.id).status == "waiting"  # type: ignore[union-attr]
    client.post(f"/volunteers/{juergen.id}/status", data={"change": "activate"})
    client.post("/matching/run")
    run_jobs()
    assert taras.id not in _proposed(app)


def test_walk_b10_a_check_in_is_dated_the_day_of_the_conversation(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    run_jobs: Callable[[], int],
) -> None:
    make_volunteer(office.agency)
    make_newcomer(office.agency)
    client = _coordinator(app, office)
    client.post("/matching/run")
    run_jobs()
    (match_id,) = _match_ids(app)
    client.post(f"/matching/proposals/{match_id}/approve", data={"version": 1})
    client.post(f"/patenschaften/{match_id}/activate", data={"version": 2})
    with inside(app):
        checkin_id = db.session.scalars(
            select(CheckIn.id).where(CheckIn.match_id == match_id)
        ).one()
    form = client.get(f"/checkins/{checkin_id}").get_data(as_text=True)
    assert "Datum des Gesprächs" in form
    held = TODAY - timedelta(days=2)
    future = client.post(f"/checkins/{checkin_id}",
                         data={"held_on": (TODAY + timedelta(days=1)).isoformat(), "light": "green"})  # fmt: skip
    assert future.status_code == 400
    done = client.post(f"/checkins/{checkin_id}",
                       data={"held_on": held.isoformat(), "light": "yellow", "note": "Termin"})  # fmt: skip
    assert done.status_code == 302
    page = client.get(f"/patenschaften/{match_id}").get_data(as_text=True)
    assert held.strftime("%d.%m.%Y") + ":" in " ".join(page.split())
    with inside(app):
        rows = db.session.scalars(
            select(CheckIn).where(CheckIn.match_id == match_id).order_by(CheckIn.id)
        ).all()
        agency = db.session.get(Agency, office.agency.id)
        assert agency is not None
        assert rows[0].held_on == held
        assert rows[1].due_on == held + timedelta(weeks=agency.checkin_interval_weeks)


def test_walk_b11_the_agency_list_counts_no_erased_people(
    app: Flask,
    office: Office,
    make_user: Callable[..., Any],
    make_volunteer: Callable[..., Volunteer],
) -> None:
    make_volunteer(office.agency)
    gone = make_volunteer(office.agency)
    with inside(app):
        from matcher.services.people import erasure

        erasure.erase_volunteer(db.session.get(Volunteer, gone.id), None, on=TODAY)  # type: ignore[arg-type]
        db.session.commit()
    admin = app.test_client()
    login(admin, make_user("admin"))
    page = admin.get("/admin/agencies").get_data(as_text=True)
    row = page.split(office.agency.name)[1].split("</tr>")[0]
    assert ">1<" in row.replace(" ", "") and ">2<" not in row.replace(" ", "")


def test_walk_b12_every_page_counts_the_same_available_volunteers_and_waiting_newcomers(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    run_jobs: Callable[[], int],
) -> None:
    """One dataset: the problem builder, the preview, the dashboard, the shortage page and
    the figures count the same people (they ask the same rules)."""
    agency = office.agency
    make_volunteer(agency, capacity=2)
    make_volunteer(agency, capacity=1, languages={"de": "native", "ti": "fluent"})
    full = make_volunteer(agency, capacity=1)
    make_volunteer(agency, status="paused")
    make_volunteer(agency, email_confirmed_at=None)
    make_volunteer(agency, certificate_inspected_on=TODAY, certificate_issued_on=TODAY,
                   certificate_result="clear")  # fmt: skip
    busy = make_newcomer(agency, status="matched")
    for languages in ({"ar": "native"}, {"ti": "native"}, {"fa": "native"}, {"ar": "good"}):
        make_newcomer(agency, languages=languages)
    make_newcomer(agency, status="paused")
    make_newcomer(agency, consents=())
    with inside(app):
        db.session.add(Match(agency_id=agency.id, volunteer_id=full.id, newcomer_id=busy.id,
                             status="active"))  # fmt: skip
        db.session.commit()
    client = _coordinator(app, office)
    client.post("/matching/run")
    run_jobs()
    with inside(app):
        fresh = db.session.get(Agency, agency.id)
        assert fresh is not None
        built = problem.build(fresh, TODAY)
        available = {v.id for v in problem.available_volunteers(fresh)}
        waiting = {n.id for n in problem.waiting_newcomers(fresh)}
        funnel = preview.funnel(fresh, fresh.max_distance_km, TODAY)
        overview = views.overview(fresh, TODAY)
        run = db.session.scalars(select(MatchRun)).one()
        demand = {row.code: row.volunteers for row in figures.unmet_demand(fresh)}
        waiting_figures = figures.waiting(fresh, TODAY).waiting
        shortage = views.shortage(fresh, TODAY)
    assert len(available) == 3 and len(waiting) == 4
    assert built.free_volunteers == funnel.volunteers == overview["volunteers_available"]
    assert built.free_volunteers == run.volunteers == len(available)
    assert built.open_newcomers == funnel.newcomers == run.newcomers == len(waiting)
    assert overview["waiting"] == waiting_figures == len(waiting)
    # Per language, the figures and the shortage page offer the same volunteers.
    offered = {code: have for code, _need, have in shortage.languages}
    for code, have in offered.items():
        if code in demand:
            assert demand[code] == have, code
    assert demand.get("ti") == 1
    page = client.get("/dashboard").get_data(as_text=True)
    assert f"<strong>{len(available)}</strong> mit freiem Platz" in " ".join(page.split())


def test_walk_b13_one_gender_neutral_style_in_the_german_texts() -> None:
    """No fixed feminine for people of any gender, and one style for a role everywhere."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    catalog = (
        Path(__file__).resolve().parents[2] / "matcher/translations/de/LC_MESSAGES/messages.po"
    )
    with catalog.open("rb") as handle:
        messages = [m for m in read_po(handle) if m.id]
    texts = [s for m in messages for s in ([m.string] if isinstance(m.string, str) else m.string)]
    banned = (
        r"\b[Dd]ie Ehrenamtliche\b(?!n)",  # "die Ehrenamtliche ist …": one woman
        r"\b[Ee]ine Ehrenamtliche\b(?!n)",
        r"\bKeine (verfügbare )?Ehrenamtliche\b(?!n)",
        r"\bsie wird\b",
        r"\*r\b",  # "Ehrenamtliche*r" beside "ehrenamtliche Person": one style
        r"der\*des",
        r"Partnerin / den Partner",
        r"Geschlecht der Patin",
    )
    for pattern in banned:
        offenders = [t for t in texts if re.search(pattern, t)]
        assert offenders == [], pattern
