"""Why not matched, whom to recruit, the dashboard, the run page and the command line."""

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from matcher import jobs_tasks
from matcher.extensions import db
from matcher.models import Agency, AuditEvent, Match, MatchRun, Newcomer, User, Volunteer, today
from matcher.services.matching import lifecycle, runs
from tests.conftest import inside, login
from tests.matching.conftest import Office, matches


def _people(office: Office, make_volunteer: Callable[..., Volunteer],
            make_newcomer: Callable[..., Newcomer]) -> dict[str, object]:  # fmt: skip
    agency = office.agency
    return {
        "volunteer": make_volunteer(agency, capacity=1),
        "matched": make_newcomer(
            agency, first_name="Amal", waiting_since=__import__("datetime").date(2026, 1, 5)
        ),
        # Both speak Arabic, but the only volunteer is taken by who waited longer.
        "taken": make_newcomer(agency, first_name="Bilal"),
        # Nobody speaks Tigrinya.
        "tigrinya": make_newcomer(
            agency, first_name="Tesfay", languages={"ti": "native"}, postcode="50765"
        ),  # fmt: skip
    }


def test_why_not_matched_and_whom_to_recruit(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    run_jobs: Callable[[], int],
) -> None:
    people = _people(office, make_volunteer, make_newcomer)
    client = app.test_client()
    login(client, office.coordinator)
    assert "noch nicht gelaufen" in client.get("/matching/unmatched").get_data(as_text=True)
    assert client.post("/matching/run").status_code == 302
    assert run_jobs() == 1
    (proposal,) = matches(app, status="proposed")
    assert proposal.newcomer_id == people["matched"].id  # type: ignore[attr-defined]

    page = client.get("/matching/unmatched").get_data(as_text=True)
    assert "Amal" not in page
    assert "Bilal" in page and "Tesfay" in page
    assert "Keine verfügbare ehrenamtliche Person spricht eine der Sprachen" in page
    # feat B7: the truth, with numbers — Bilal's one volunteer went to Amal, who waited longer.
    assert "1 passende ehrenamtliche Person" in page and "wartet schon länger" in page

    shortage = client.get("/matching/shortage").get_data(as_text=True)
    assert "Tigrinya" in shortage and "507xx" in shortage
    assert "2 Neuzugewanderte warten ohne ehrenamtliche Begleitung" in shortage


def test_dashboard_shows_the_matching_state(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    run_jobs: Callable[[], int],
) -> None:
    _people(office, make_volunteer, make_newcomer)
    client = app.test_client()
    login(client, office.coordinator)
    client.post("/matching/run")
    run_jobs()
    page = client.get("/dashboard").get_data(as_text=True)
    for text in ("Warten auf Ehrenamtliche", "Ehrenamtliche verfügbar", "Vorschläge zu prüfen",
                 "Rückmeldungen fällig", "Matching starten"):  # fmt: skip
        assert text in page, text
    with inside(app):
        run = db.session.scalars(select(MatchRun)).one()
    detail = client.get(f"/matching/runs/{run.id}").get_data(as_text=True)
    assert "Kim Koordination" in detail and "Vorschläge" in detail


def test_viewing_a_newcomer_is_audited(
    app: Flask, office: Office, make_newcomer: Callable[..., Newcomer]
) -> None:
    newcomer = make_newcomer(office.agency)
    client = app.test_client()
    login(client, office.coordinator)
    assert client.get(f"/newcomers/{newcomer.id}").status_code == 200
    with inside(app):
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "newcomer.view")
        ).one()
        assert event.object_id == newcomer.id and event.actor_id == office.coordinator.id


def test_cli_run_prints_a_summary(
    app: Flask,
    runner: FlaskCliRunner,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
) -> None:
    people = _people(office, make_volunteer, make_newcomer)
    result = runner.invoke(args=["match", "run", "--agency", office.agency.slug])
    assert result.exit_code == 0, result.output
    assert "Proposals: 1" in result.output
    assert "Unmatched newcomers: 2" in result.output
    assert f"newcomer {people['tigrinya'].id}: no_feasible_volunteer" in result.output  # type: ignore[attr-defined]
    assert "Seconds: " in result.output
    missing = runner.invoke(args=["match", "run", "--agency", "nope"])
    assert missing.exit_code != 0 and "no agency" in missing.output


def test_each_step_is_one_update_even_when_the_actor_was_expired(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
) -> None:
    _people(office, make_volunteer, make_newcomer)
    with inside(app):
        actor = db.session.get(User, office.coordinator.id)
        agency = db.session.get(Agency, office.agency.id)
        assert actor is not None and agency is not None
        _run_now(agency, actor)  # each step commits: the actor object is expired now
        proposal = db.session.scalars(select(Match).where(Match.status == "proposed")).one()
        lifecycle.approve([lifecycle.Approval(proposal.id, 1)], actor, on=today())
        assert proposal.version == 2 and proposal.approved_by_id == actor.id
        db.session.commit()
        assert _run_now(agency, actor).pairs == 0  # the approved pair is pinned, not re-proposed
        assert db.session.get(Match, proposal.id).status == "approved"  # type: ignore[union-attr]


def _run_now(agency: Agency, actor: User) -> MatchRun:
    """Start a run and carry it out here, as `flask match run` does (inside `inside`)."""
    started = runs.start(agency, actor, on=today(), background=False)
    db.session.commit()
    jobs_tasks.perform_run(started.run.id, agency.id)
    finished = db.session.get(MatchRun, started.run.id)
    assert finished is not None and finished.status == "finished"
    return finished
