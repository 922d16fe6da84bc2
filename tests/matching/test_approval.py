"""Approving re-checks everything against the current data; stale forms get a 409."""

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from matcher.domain.vocab import slots_to_mask
from matcher.extensions import db
from matcher.models import AuditEvent, ConsentRecord, Newcomer, OutboxMessage, Volunteer, utcnow
from tests.conftest import inside, login
from tests.matching.conftest import Office, load_match, set_values


def test_a_stale_form_gets_409_and_loses_nothing(
    app: Flask,
    office: Office,
    make_user: Callable[..., object],
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    first, other = make_volunteer(office.agency), make_volunteer(office.agency)
    match_id = propose(first, make_newcomer(office.agency))
    alice, bob = app.test_client(), app.test_client()
    login(alice, office.coordinator)
    login(bob, make_user("coordinator", office.agency))
    page = alice.get("/matching/proposals").get_data(as_text=True)
    assert f'value="{match_id}:1"' in page  # Alice's form carries version 1

    # Bob gives the newcomer another volunteer meanwhile.
    response = bob.post(
        f"/matching/proposals/{match_id}/alternatives",
        data={"version": 1, "volunteer_id": other.id},
    )
    assert response.status_code == 302
    # Alice approves what she saw: refused, with the reload message.
    response = alice.post(f"/matching/proposals/{match_id}/approve", data={"version": 1})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "laden Sie die Seite neu" in body
    match = load_match(app, match_id)
    assert match.status == "proposed" and match.volunteer_id == other.id  # Bob's change stays
    # With the fresh version it goes through.
    response = alice.post(f"/matching/proposals/{match_id}/approve", data={"version": 2})
    assert response.status_code == 302 and load_match(app, match_id).status == "approved"


def test_a_double_submit_does_not_approve_twice(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    match_id = propose(make_volunteer(office.agency), make_newcomer(office.agency))
    client = app.test_client()
    login(client, office.coordinator)
    assert (
        client.post(f"/matching/proposals/{match_id}/approve", data={"version": 1}).status_code
        == 302
    )
    assert (
        client.post(f"/matching/proposals/{match_id}/approve", data={"version": 1}).status_code
        == 409
    )
    with inside(app):
        assert db.session.scalars(select(OutboxMessage)).all().__len__() == 1


def test_approval_rechecks_that_the_volunteer_is_still_active(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    volunteer = make_volunteer(office.agency)
    match_id = propose(volunteer, make_newcomer(office.agency))
    set_values(app, Volunteer, volunteer.id, status="paused")  # paused meanwhile
    client = app.test_client()
    login(client, office.coordinator)
    response = client.post(
        f"/matching/proposals/{match_id}/approve", data={"version": 1}, follow_redirects=True
    )
    assert "nicht mehr aktiv" in response.get_data(as_text=True)
    assert load_match(app, match_id).status == "proposed"
    with inside(app):
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_approval_rechecks_the_hard_rules(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    volunteer = make_volunteer(office.agency)
    newcomer = make_newcomer(office.agency)
    match_id = propose(volunteer, newcomer)
    # The volunteer's times changed: they no longer share one with the newcomer.
    set_values(app, Volunteer, volunteer.id, slots=slots_to_mask(["tue-morning"]))
    client = app.test_client()
    login(client, office.coordinator)
    response = client.post(
        f"/matching/proposals/{match_id}/approve", data={"version": 1}, follow_redirects=True
    )
    assert "erfüllt die Voraussetzungen nicht mehr" in response.get_data(as_text=True)
    assert load_match(app, match_id).status == "proposed"


def test_approval_rechecks_consent(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    volunteer = make_volunteer(office.agency)
    match_id = propose(volunteer, make_newcomer(office.agency))
    with inside(app):
        consent = db.session.scalars(
            select(ConsentRecord).where(ConsentRecord.volunteer_id == volunteer.id)
        ).one()
        consent.withdrawn_at = utcnow()
        db.session.commit()
    client = app.test_client()
    login(client, office.coordinator)
    response = client.post(
        f"/matching/proposals/{match_id}/approve", data={"version": 1}, follow_redirects=True
    )
    assert "Einwilligung" in response.get_data(as_text=True)
    assert load_match(app, match_id).status == "proposed"


def test_the_volunteer_is_told_with_contact_details_only_after_consent(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    sharing = make_newcomer(
        office.agency, first_name="Samira", contact_note="Tel. über Unterkunft Mülheim",
        consents=("matching", "contact_sharing"),
    )  # fmt: skip
    private = make_newcomer(office.agency, first_name="Yusuf", contact_note="geheim")
    one = propose(make_volunteer(office.agency, email="eins@example.org"), sharing)
    two = propose(make_volunteer(office.agency, email="zwei@example.org"), private)
    client = app.test_client()
    login(client, office.coordinator)
    for match_id in (one, two):
        assert (
            client.post(f"/matching/proposals/{match_id}/approve", data={"version": 1}).status_code
            == 302
        )
    with inside(app):
        mails = {m.to_address: m for m in db.session.scalars(select(OutboxMessage))}
    shared = mails["eins@example.org"]
    assert shared.kind == "match_approved" and "angenommen" in shared.subject
    assert "Samira" in shared.body and "Unterkunft Mülheim" in shared.body
    hidden = mails["zwei@example.org"]
    assert "Yusuf" not in hidden.body and "geheim" not in hidden.body
    assert "stellt Sie einander vor" in hidden.body


def test_reject_needs_a_reason_and_is_audited(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    match_id = propose(make_volunteer(office.agency), make_newcomer(office.agency))
    client = app.test_client()
    login(client, office.coordinator)
    response = client.post(
        f"/matching/proposals/{match_id}/reject", data={"version": 1, "reason": ""},
        follow_redirects=True,
    )  # fmt: skip
    assert "Grund" in response.get_data(as_text=True)
    assert load_match(app, match_id).status == "proposed"
    client.post(f"/matching/proposals/{match_id}/reject", data={"version": 1, "reason": "nein"})
    assert load_match(app, match_id).status == "rejected"
    with inside(app):
        audit = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "match.reject")
        ).one()
        assert audit.object_id == match_id and audit.actor_id == office.coordinator.id


def test_pick_an_alternative_from_the_candidates(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    current = make_volunteer(office.agency, first_name="Erste")
    near = make_volunteer(office.agency, first_name="Nahe")
    make_volunteer(office.agency, first_name="Französin", languages={"fr": "native"})
    match_id = propose(current, make_newcomer(office.agency))
    client = app.test_client()
    login(client, office.coordinator)
    page = client.get(f"/matching/proposals/{match_id}/alternatives").get_data(as_text=True)
    assert "Nahe" in page and "Französin" not in page  # only feasible volunteers
    assert f'name="volunteer_id" value="{current.id}"' not in page
    response = client.post(
        f"/matching/proposals/{match_id}/alternatives", data={"version": 1, "volunteer_id": near.id}
    )
    assert response.status_code == 302
    match = load_match(app, match_id)
    assert match.volunteer_id == near.id and match.status == "proposed" and match.version == 2
    assert match.score is not None and match.reasons


def test_admins_run_and_review_only_for_the_agency_they_chose_to_act_as(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    client = app.test_client()
    login(client, two_agencies["admin"])
    # No agency chosen: every agency-level page sends the admin to choose one first.
    for response in (client.post("/matching/run"), client.get("/matching/proposals")):
        assert response.status_code == 302 and "/admin/act-as" in response.location
    a = two_agencies["a"]["agency"]
    chosen = client.post("/admin/act-as", data={"agency": str(a.id), "next": "/matching/proposals"})
    assert chosen.status_code == 302 and chosen.location.endswith("/matching/proposals")
    assert "Agency A" in client.get("/matching/proposals").get_data(as_text=True)
    # The choice is audited, and another agency's Patenschaft stays a 404.
    with inside(app):
        acts = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "agency.act_as")
        ).all()
        assert [(e.object_id, e.actor_id) for e in acts] == [(a.id, two_agencies["admin"].id)]
    b_match = two_agencies["b"]["match"]
    assert client.get(f"/patenschaften/{b_match.id}").status_code == 404
    assert client.get(f"/patenschaften/{two_agencies['a']['match'].id}").status_code == 200


def test_approving_several_is_all_or_nothing(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    good = propose(make_volunteer(office.agency), make_newcomer(office.agency))
    paused = make_volunteer(office.agency)
    bad = propose(paused, make_newcomer(office.agency))
    set_values(app, Volunteer, paused.id, status="paused")
    client = app.test_client()
    login(client, office.coordinator)
    response = client.post(
        "/matching/proposals/approve",
        data={"selected": [f"{good}:1", f"{bad}:1"]},
        follow_redirects=True,
    )
    assert "nicht mehr aktiv" in response.get_data(as_text=True)
    assert load_match(app, good).status == "proposed"  # nothing stored half-way
    assert load_match(app, bad).status == "proposed"
    nothing = client.post("/matching/proposals/approve", data={}, follow_redirects=True)
    assert "mindestens einen Vorschlag" in nothing.get_data(as_text=True)
    forged = client.post("/matching/proposals/approve", data={"selected": ["1;DROP"]})
    assert forged.status_code == 302 and load_match(app, good).status == "proposed"
    client.post("/matching/proposals/approve", data={"selected": [f"{good}:1"]})
    assert load_match(app, good).status == "approved"


def test_a_rejected_pair_cannot_be_approved_later(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    volunteer, newcomer = make_volunteer(office.agency), make_newcomer(office.agency)
    client = app.test_client()
    login(client, office.coordinator)
    first = propose(volunteer, newcomer)
    client.post(f"/matching/proposals/{first}/reject", data={"version": 1, "reason": "nein"})
    again = propose(volunteer, newcomer)  # e.g. from a run that started before the rejection
    response = client.post(
        f"/matching/proposals/{again}/approve", data={"version": 1}, follow_redirects=True
    )
    assert "schon einmal abgelehnt" in response.get_data(as_text=True)
    assert load_match(app, again).status == "proposed"
