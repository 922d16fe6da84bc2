"""Activation schedules check-ins; they are recorded once, listed when overdue, reminded once."""

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import CheckIn, Newcomer, OutboxMessage, Volunteer
from tests.conftest import inside, login
from tests.matching.conftest import Office, load_match, set_values, today


def _running(app: Flask, office: Office, client: object, propose: Callable[..., int],
             volunteer: Volunteer, newcomer: Newcomer) -> int:  # fmt: skip
    match_id = propose(volunteer, newcomer)
    assert (
        client.post(f"/matching/proposals/{match_id}/approve", data={"version": 1}).status_code
        == 302
    )  # type: ignore[attr-defined]
    assert (
        client.post(f"/patenschaften/{match_id}/activate", data={"version": 2}).status_code == 302
    )  # type: ignore[attr-defined]
    return match_id


def test_checkins_from_trial_end_then_every_interval(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    set_values(app, type(office.agency), office.agency.id, trial_weeks=4, checkin_interval_weeks=8)
    client = app.test_client()
    login(client, office.coordinator)
    match_id = _running(app, office, client, propose, make_volunteer(office.agency),
                        make_newcomer(office.agency))  # fmt: skip
    match = load_match(app, match_id)
    assert match.trial_until == today() + timedelta(weeks=4)
    with inside(app):
        (first,) = db.session.scalars(select(CheckIn).where(CheckIn.match_id == match_id)).all()
        assert first.due_on == match.trial_until and first.done_at is None
        first_id = first.id

    page = client.get(f"/checkins/{first_id}")
    assert page.status_code == 200 and "Läuft gut" in page.get_data(as_text=True)
    assert client.post(f"/checkins/{first_id}", data={"light": "purple"}).status_code == 400
    response = client.post(
        f"/checkins/{first_id}", data={"light": "yellow", "note": "braucht Hilfe"}
    )
    assert response.status_code == 302
    with inside(app):
        rows = db.session.scalars(
            select(CheckIn).where(CheckIn.match_id == match_id).order_by(CheckIn.id)
        ).all()
        assert rows[0].light == "yellow" and rows[0].note == "braucht Hilfe"
        assert rows[0].done_by_id == office.coordinator.id
        assert rows[1].due_on == today() + timedelta(weeks=8) and rows[1].done_at is None
    # Recording the same check-in again (a second tab) is refused, nothing overwritten.
    again = client.post(f"/checkins/{first_id}", data={"light": "green"})
    assert again.status_code == 409
    with inside(app):
        done = db.session.get(CheckIn, first_id)
        assert done is not None and done.light == "yellow"
    detail = client.get(f"/patenschaften/{match_id}").get_data(as_text=True)
    assert "braucht Hilfe" in detail and "Braucht Aufmerksamkeit" in detail


def test_overdue_checkins_are_listed_and_reminded_once(
    app: Flask,
    runner: FlaskCliRunner,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    client = app.test_client()
    login(client, office.coordinator)
    volunteer = make_volunteer(office.agency, email="patin@example.org")
    match_id = _running(app, office, client, propose, volunteer, make_newcomer(office.agency))
    assert "Keine Rückmeldung ist überfällig" in client.get("/checkins/overdue").get_data(
        as_text=True
    )
    with inside(app):
        checkin = db.session.scalars(select(CheckIn).where(CheckIn.match_id == match_id)).one()
        checkin.due_on = today() - timedelta(days=5)
        db.session.commit()
    page = client.get("/checkins/overdue").get_data(as_text=True)
    assert volunteer.full_name in page and "5 Tage" in page
    assert "1 überfällig" in client.get("/dashboard").get_data(as_text=True)

    first = runner.invoke(args=["match", "remind"])
    assert first.exit_code == 0 and "Queued 1" in first.output
    second = runner.invoke(args=["match", "remind"])
    assert second.exit_code == 0 and "Queued 0" in second.output
    with inside(app):
        reminders = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "match_checkin_reminder")
        ).all()
        assert [m.to_address for m in reminders] == ["patin@example.org"]
        assert "Patenschaft" in reminders[0].subject


def test_pause_resume_and_end_follow_the_lifecycle(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    client = app.test_client()
    login(client, office.coordinator)
    newcomer = make_newcomer(office.agency)
    match_id = _running(app, office, client, propose, make_volunteer(office.agency), newcomer)
    # Resuming an active Patenschaft is not a step it can take: a conflict, nothing changes.
    assert client.post(f"/patenschaften/{match_id}/resume", data={"version": 3}).status_code == 409
    assert (
        client.post(
            f"/patenschaften/{match_id}/pause", data={"version": 3, "note": "Urlaub"}
        ).status_code
        == 302
    )
    assert load_match(app, match_id).status == "paused"
    assert client.post(f"/patenschaften/{match_id}/resume", data={"version": 4}).status_code == 302
    assert load_match(app, match_id).status == "active"
    bad = client.post(f"/patenschaften/{match_id}/end", data={"version": 5, "reason": "bored"})
    assert bad.status_code == 302 and load_match(app, match_id).status == "active"
    assert (
        client.post(
            f"/patenschaften/{match_id}/end", data={"version": 5, "reason": "goal_reached"}
        ).status_code
        == 302
    )
    match = load_match(app, match_id)
    assert match.status == "ended" and match.end_reason == "goal_reached"
    with inside(app):
        closed = db.session.get(Newcomer, newcomer.id)
        assert closed is not None and closed.status == "closed"  # goal reached: not waiting
        assert db.session.scalars(select(CheckIn).where(CheckIn.match_id == match_id)).all() == []
    listed = client.get("/patenschaften?status=ended").get_data(as_text=True)
    assert "Ziel erreicht" in listed
    assert client.get("/patenschaften?status=bogus").status_code == 400
