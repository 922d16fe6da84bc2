"""Volunteer onboarding: the agency's checklist, ticks, and the eligibility rule that
requires every required step before matching — on both databases."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from matcher import tenancy
from matcher.domain.errors import Conflict, Invalid, Refused
from matcher.extensions import db
from matcher.models import (
    Agency,
    AuditEvent,
    Match,
    OnboardingDone,
    OnboardingStep,
    User,
    Volunteer,
    utcnow,
)
from matcher.services.matching import lifecycle
from matcher.services.people import gdpr, onboarding
from matcher.services.platform import administration
from matcher.web import messages
from tests.conftest import inside, login


def _steps(app: Flask, agency: Any, *specs: tuple[str, bool, bool]) -> list[int]:
    """Steps (name, required, archived) of the agency; their ids."""
    with inside(app):
        rows = [
            OnboardingStep(agency_id=agency.id, name=name, required_for_matching=required,
                           position=i, archived_at=utcnow() if archived else None)
            for i, (name, required, archived) in enumerate(specs)
        ]  # fmt: skip
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]


def _tick(app: Flask, volunteer_id: int, step_ids: list[int]) -> None:
    with inside(app):
        v = db.session.get(Volunteer, volunteer_id)
        for step_id in step_ids:
            db.session.add(
                OnboardingDone(agency_id=v.agency_id, volunteer_id=v.id, step_id=step_id)
            )
        db.session.commit()


def test_approval_is_refused_while_a_required_step_is_missing(
    app: Flask,
    make_agency: Callable[..., Any],
    make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    agency = make_agency()
    (step,) = _steps(app, agency, ("§72a-Verpflichtungserklärung", True, False))
    v = make_volunteer(agency)
    n = make_newcomer(agency)
    coordinator = make_user("coordinator", agency)
    with inside(app):
        match = Match(agency_id=agency.id, volunteer_id=v.id, newcomer_id=n.id, status="proposed")
        db.session.add(match)
        db.session.commit()
        match_id, version = match.id, match.version
    with app.test_request_context(), tenancy.all_agencies():
        actor = db.session.get(User, coordinator.id)
        with pytest.raises(Refused) as refused:
            lifecycle.approve([lifecycle.Approval(match_id, version)], actor, on=utcnow().date())
        assert refused.value.code == "volunteer_onboarding_missing"
        text = messages.text(refused.value)
        assert "§72a-Verpflichtungserklärung" in text and "Einarbeitung" in text
        db.session.rollback()
    _tick(app, v.id, [step])
    with app.test_request_context(), tenancy.all_agencies():
        actor = db.session.get(User, coordinator.id)
        approved = lifecycle.approve([lifecycle.Approval(match_id, version)], actor,
                                     on=utcnow().date())  # fmt: skip
        assert [m.status for m in approved] == ["approved"]


def test_steps_are_added_renamed_reordered_archived_and_restored(
    app: Flask, make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency()
    user = make_user("coordinator", agency)
    v = make_volunteer(agency)
    with inside(app):
        here, actor = db.session.get(Agency, agency.id), db.session.get(User, user.id)
        a = onboarding.add_step(here, " Erstgespräch ", True, actor)
        b = onboarding.add_step(here, "Schulung", False, actor)
        c = onboarding.add_step(here, "Vereinbarung", True, actor)
        with pytest.raises(Conflict):
            onboarding.add_step(here, "schulung", False, actor)
        with pytest.raises(Invalid):
            onboarding.add_step(here, "  ", False, actor)
        onboarding.change_step(b, "Schulung (2 Abende)", True, actor)
        onboarding.move_step(c, "up", actor)
        assert [s.name for s in onboarding.steps(here)] == [
            "Erstgespräch", "Vereinbarung", "Schulung (2 Abende)",
        ]  # fmt: skip
        volunteer = db.session.get(Volunteer, v.id)
        onboarding.tick(volunteer, a, actor, "am 3. März")
        onboarding.tick(volunteer, a, actor)  # a second tick keeps the first
        assert onboarding.remove_step(a, actor) == "archived"  # in use: archived
        assert onboarding.remove_step(c, actor) == "deleted"  # unused: deleted
        db.session.commit()
        assert [s.name for s in onboarding.steps(here)] == ["Schulung (2 Abende)"]
        assert db.session.get(OnboardingStep, a.id).archived_at is not None
        assert [i.step.name for i in onboarding.checklist(volunteer)] == [
            "Erstgespräch", "Schulung (2 Abende)",
        ]  # fmt: skip
        assert gdpr.person_data(volunteer, None)["onboarding"][0]["note"] == "am 3. März"
        onboarding.restore_step(a, actor)
        onboarding.undo(volunteer, a, actor)
        db.session.commit()
        assert volunteer.onboarding_done == []
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"onboarding.step_add", "onboarding.step_archive", "onboarding.step_delete",
                "volunteer.onboarding_done", "volunteer.onboarding_undone"} <= actions  # fmt: skip


def test_a_new_agency_gets_the_default_checklist_with_nothing_required(app: Flask) -> None:
    with inside(app):
        agency = administration.create_agency("neu", "Neue Agentur")
        names = [(s.name, s.required_for_matching) for s in onboarding.steps(agency)]
        assert names == list(onboarding.DEFAULT_STEPS)
        assert "§72a-Verpflichtungserklärung" in dict(names)


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_the_pages_tick_undo_and_keep_the_checklist_within_the_agency(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    a, b = two_agencies["a"], two_agencies["b"]
    (step,) = _steps(app, a["agency"], ("Erstgespräch", True, False))
    (foreign,) = _steps(app, b["agency"], ("Fremd", True, False))
    client = app.test_client()
    login(client, a["coordinator"])
    vid = a["volunteer"].id
    page = client.get(f"/volunteers/{vid}").get_data(as_text=True)
    assert "Kann erst vermittelt werden" in page and "Erstgespräch" in page
    token = _token(page)
    done = client.post(f"/volunteers/{vid}/onboarding/{step}", data={"csrf_token": token,
                                                                       "note": "ok"})  # fmt: skip
    assert done.status_code == 302
    page = client.get(f"/volunteers/{vid}").get_data(as_text=True)
    assert "Kann erst vermittelt werden" not in page and "erledigt am" in page
    # Another agency's step or volunteer: 404, nothing written.
    for path in (f"/volunteers/{vid}/onboarding/{foreign}",
                 f"/volunteers/{b['volunteer'].id}/onboarding/{step}",
                 f"/agency/onboarding/{foreign}/remove",
                 f"/agency/onboarding/{foreign}"):  # fmt: skip
        assert client.post(path, data={"csrf_token": token, "name": "x"}).status_code == 404
    # Bad input: 400 with the reason on the agency page.
    long = client.post("/agency/onboarding", data={"csrf_token": token, "name": "x" * 121})
    assert long.status_code == 400 and "Schritt" in long.get_data(as_text=True)
    empty = client.post("/agency/onboarding", data={"csrf_token": token, "name": ""})
    assert empty.status_code == 400
    added = client.post("/agency/onboarding", data={"csrf_token": token, "name": "Schulung",
                                                     "required": "y"})  # fmt: skip
    assert added.status_code == 302
    assert "Schulung" in client.get("/agency").get_data(as_text=True)
    undo = client.post(f"/volunteers/{vid}/onboarding/{step}/undo", data={"csrf_token": token})
    assert undo.status_code == 302
    with inside(app):
        assert db.session.scalars(select(OnboardingDone)).all() == []
        assert [s.name for s in db.session.scalars(
            select(OnboardingStep).where(OnboardingStep.agency_id == b["agency"].id)
        )] == ["Fremd"]  # fmt: skip
