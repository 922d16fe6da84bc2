"""End to end on the demo agency: run, review, approve, reject, re-run, end — and the history."""

import re
from collections.abc import Callable
from datetime import date

from flask import Flask
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import AuditEvent, Match, MatchEvent, MatchRun, Newcomer, OutboxMessage, User
from matcher.services.platform import demo
from tests.conftest import inside
from tests.matching.conftest import load_match, matches


def _demo_login(app: Flask) -> tuple[str, str, int]:
    with inside(app):
        agency = demo.load("koeln", 60, 50, 1, date(2026, 11, 26))
        assert agency is not None
        logins = {role: (email, pw) for role, email, pw in demo.reset_logins("koeln")}
        db.session.commit()  # what the demo-data and demo-logins commands do at their end
        email, password = logins["coordinator"]
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        return email, password, user.id


def _versions(html: str) -> dict[int, int]:
    """match id → version, from the review page's checkboxes."""
    return {int(m): int(v) for m, v in re.findall(r'name="selected" value="(\d+):(\d+)"', html)}


def test_run_review_approve_reject_rerun_end(app: Flask, run_jobs: Callable[[], int]) -> None:
    email, password, coordinator_id = _demo_login(app)
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": password}).status_code == 302

    # Run: the button answers with the run's page at once; a worker does the run.
    response = client.post("/matching/run")
    assert response.status_code == 302
    run_page = response.headers["Location"]
    assert re.fullmatch(r"/matching/runs/\d+", run_page)
    assert "Schritt 1 von 4" in client.get(run_page).get_data(as_text=True)
    assert run_jobs() == 1
    done = client.get(run_page).get_data(as_text=True)
    assert "Das Matching ist fertig" in done and 'href="/matching/proposals"' in done
    proposed = matches(app, status="proposed")
    assert len(proposed) >= 5
    with inside(app):
        run = db.session.scalars(select(MatchRun)).one()
        assert run.status == "finished" and run.started_by_id == coordinator_id
        assert run.pairs == len(proposed) and run.seconds is not None
        assert run.volunteers > 0 and run.newcomers > 0

    # Review: both profiles side by side, what they share, and reasons in German.
    review = client.get("/matching/proposals")
    html = review.get_data(as_text=True)
    assert review.status_code == 200
    assert "Gemeinsame Sprachen" in html and "Gemeinsame Zeiten" in html
    assert re.search(r"\d+,\d km entfernt", html), "a distance reason in German"
    assert "spricht " in html
    versions = _versions(html)
    assert len(versions) >= 5

    # Approve one, then two at once.
    first, second, third, rejected_id = list(versions)[:4]
    response = client.post(
        f"/matching/proposals/{first}/approve", data={"version": versions[first]}
    )
    assert response.status_code == 302
    response = client.post(
        "/matching/proposals/approve",
        data={"selected": [f"{second}:{versions[second]}", f"{third}:{versions[third]}"]},
    )
    assert response.status_code == 302
    approved_ids = {first, second, third}
    assert {m.id for m in matches(app, status="approved")} == approved_ids
    with inside(app):
        for match_id in approved_ids:
            match = db.session.get(Match, match_id)
            assert match is not None and match.approved_by_id == coordinator_id
            newcomer = db.session.get(Newcomer, match.newcomer_id)
            assert newcomer is not None and newcomer.status == "matched"
        mails = db.session.scalars(select(OutboxMessage)).all()
        assert len(mails) == 3 and {m.kind for m in mails} == {"match_approved"}

    # Reject one with a reason.
    bad = load_match(app, rejected_id)
    response = client.post(
        f"/matching/proposals/{rejected_id}/reject",
        data={"version": versions[rejected_id], "reason": "kennen sich schon"},
    )
    assert response.status_code == 302
    rejected = load_match(app, rejected_id)
    assert rejected.status == "rejected" and rejected.reject_reason == "kennen sich schon"

    # Re-run: approved pairs stay, the rejected pair is not proposed again.
    assert client.post("/matching/run").status_code == 302
    assert run_jobs() == 1
    assert {m.id for m in matches(app, status="approved")} == approved_ids
    again = matches(app, status="proposed")
    assert again, "the re-run proposes again"
    assert (bad.volunteer_id, bad.newcomer_id) not in {
        (m.volunteer_id, m.newcomer_id) for m in again
    }
    assert load_match(app, rejected_id).status == "rejected"
    assert not {m.newcomer_id for m in again} & {
        load_match(app, i).newcomer_id for i in approved_ids
    }

    # The introduction took place; later the Patenschaft ends with a reason.
    m = load_match(app, first)
    assert (
        client.post(f"/patenschaften/{first}/activate", data={"version": m.version}).status_code
        == 302
    )
    m = load_match(app, first)
    assert m.status == "active" and m.trial_until is not None
    response = client.post(
        f"/patenschaften/{first}/end",
        data={"version": m.version, "reason": "no_time", "note": "Umzug der Patin"},
    )
    assert response.status_code == 302
    m = load_match(app, first)
    assert m.status == "ended" and m.end_reason == "no_time" and m.ended_by_id == coordinator_id
    with inside(app):
        newcomer = db.session.get(Newcomer, m.newcomer_id)
        assert newcomer is not None and newcomer.status == "waiting"  # ended early: waits again

    # The history shows every step with who and when.
    with inside(app):
        events = db.session.scalars(
            select(MatchEvent).where(MatchEvent.match_id == first).order_by(MatchEvent.id)
        ).all()
        steps = [(e.from_status, e.to_status, e.actor_id) for e in events]
        assert steps == [
            (None, "proposed", coordinator_id),
            ("proposed", "approved", coordinator_id),
            ("approved", "active", coordinator_id),
            ("active", "ended", coordinator_id),
        ]
        assert all(e.at is not None for e in events)
    page = client.get(f"/patenschaften/{first}").get_data(as_text=True)
    history = page.split("Verlauf", 1)[1]
    for word in ("vorgeschlagen", "angenommen", "aktiv", "beendet"):
        assert word in history
    assert history.count("Demo-Koordination") == 4
    assert len(re.findall(r'<time datetime="\d{4}-\d\d-\d\dT', history)) == 4
    assert "keine Zeit" in page and "Umzug der Patin" in page

    # Every run, approval, rejection and status change is audited (the fact, not the data).
    with inside(app):
        actions = [a for (a,) in db.session.execute(select(AuditEvent.action)).all()]
    assert actions.count("match.run") == 2
    assert actions.count("match.approve") == 3
    assert actions.count("match.reject") == 1
    assert actions.count("match.activate") == 1 and actions.count("match.end") == 1
    assert actions.count("match.view") == 1
