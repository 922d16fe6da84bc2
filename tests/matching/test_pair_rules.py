"""Pin a pair, forbid a pair for good: through the pages, kept by every later run (issue 13)."""

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from matcher.extensions import db
from matcher.models import Agency, AuditEvent, Match, Newcomer, PairRule, User, Volunteer
from matcher.services.matching import lifecycle
from tests.conftest import inside, login
from tests.matching.conftest import Office, matches, today
from tests.matching.test_pages import _run_now

PIN = "/matching/pairs/pin"
FORBID = "/matching/pairs/forbid"


def _client(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    login(client, user)
    return client


def _run(app: Flask, office: Office) -> set[tuple[int, int]]:
    """A real run (built from the database, solved, stored); the open proposals after it."""
    with inside(app):
        agency = db.session.get(Agency, office.agency.id)
        actor = db.session.get(User, office.coordinator.id)
        assert agency is not None and actor is not None
        _run_now(agency, actor)
    return {(m.volunteer_id, m.newcomer_id) for m in matches(app, status="proposed")}


def test_pinned_and_forbidden_pairs_are_kept_across_runs(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
) -> None:
    v1, v2 = make_volunteer(office.agency), make_volunteer(office.agency)
    n1, n2 = make_newcomer(office.agency), make_newcomer(office.agency)
    client = _client(app, office.coordinator)
    response = client.post(
        PIN,
        data={"volunteer_id": v2.id, "newcomer_id": n1.id, "reason": "kennen sich",
              "next": f"/newcomers/{n1.id}"},
    )  # fmt: skip
    assert response.status_code == 302 and response.location.endswith(f"/newcomers/{n1.id}")
    # Pinned at once: her proposal now, kept as a coordinator's choice.
    (proposal,) = matches(app, status="proposed")
    assert (proposal.volunteer_id, proposal.newcomer_id) == (v2.id, n1.id)
    assert proposal.picked_by_id == office.coordinator.id
    response = client.post(
        FORBID, data={"volunteer_id": v1.id, "newcomer_id": n2.id, "reason": "Konflikt"}
    )
    assert response.status_code == 302
    for _ in range(2):
        proposed = _run(app, office)
        assert (v2.id, n1.id) in proposed
        assert (v1.id, n2.id) not in proposed
        # v2 is held by the pin and v1 may not meet n2: n2 stays without a volunteer.
        assert proposed == {(v2.id, n1.id)}
    # The pin outlives its proposal: a run proposes the pinned pair again.
    with inside(app):
        db.session.execute(delete(Match).where(Match.status == "proposed"))
        db.session.commit()
    assert _run(app, office) == {(v2.id, n1.id)}
    (again,) = matches(app, status="proposed")
    assert again.picked_by_id == office.coordinator.id
    # Both rules are listed with "undo", and each step is audited.
    page = client.get("/matching/rules").get_data(as_text=True)
    assert "kennen sich" in page and "Konflikt" in page and page.count("Aufheben") == 2
    newcomer_page = client.get(f"/newcomers/{n1.id}").get_data(as_text=True)
    # Her current proposal is the pinned pair: the page says so instead of offering to pin it.
    assert 'id="proposal-pinned"' in newcomer_page
    assert "Diese Person fest zuordnen" not in newcomer_page
    with inside(app):
        rules = {r.kind: r.id for r in db.session.scalars(select(PairRule))}
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"pair.pin", "pair.forbid"} <= actions
    # Undo the ban: the pair may be proposed again.
    assert client.post(f"/matching/rules/{rules['forbid']}/undo").status_code == 302
    client.post(f"/matching/rules/{rules['pin']}/undo")
    with inside(app):
        assert db.session.scalars(select(PairRule)).all() == []
        assert "pair.unforbid" in set(db.session.scalars(select(AuditEvent.action)))
    assert len(_run(app, office)) == 2


def test_pinning_respects_places_and_one_open_match(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    v1, v2 = make_volunteer(office.agency), make_volunteer(office.agency)
    n1, n2, n3 = (make_newcomer(office.agency) for _ in range(3))
    approved = propose(v1, n1)
    with inside(app):
        actor = db.session.get(User, office.coordinator.id)
        assert actor is not None
        lifecycle.approve([lifecycle.Approval(approved, 1)], actor, on=today())
        db.session.commit()
    client = _client(app, office.coordinator)
    # n1 is approved with v1: pinning her to v2 is a conflict, said in words.
    response = client.post(PIN, data={"volunteer_id": v2.id, "newcomer_id": n1.id})
    assert response.status_code == 409
    assert "bereits eine bestätigte oder laufende Patenschaft" in response.get_data(as_text=True)
    # v1's one place is taken by that Patenschaft.
    response = client.post(PIN, data={"volunteer_id": v1.id, "newcomer_id": n2.id})
    assert response.status_code == 409
    assert "keinen freien Platz" in response.get_data(as_text=True)
    # v2 has one place: the second pin for v2 finds it held by the first.
    assert client.post(PIN, data={"volunteer_id": v2.id, "newcomer_id": n2.id}).status_code == 302
    assert client.post(PIN, data={"volunteer_id": v2.id, "newcomer_id": n3.id}).status_code == 409
    # A household with children needs a volunteer with a valid certificate: a pin cannot
    # override that.
    family, v3 = make_newcomer(office.agency, minors=True), make_volunteer(office.agency)
    response = client.post(PIN, data={"volunteer_id": v3.id, "newcomer_id": family.id})
    assert response.status_code == 409 and "Führungszeugnis" in response.get_data(as_text=True)
    # Forbidding needs a reason; a pinned pair cannot be forbidden before its pin is lifted.
    missing = client.post(FORBID, data={"volunteer_id": v2.id, "newcomer_id": n3.id})
    assert missing.status_code == 400 and "Grund" in missing.get_data(as_text=True)
    pinned = client.post(FORBID, data={"volunteer_id": v2.id, "newcomer_id": n2.id, "reason": "x"})
    assert pinned.status_code == 409
    with inside(app):
        assert [(r.volunteer_id, r.newcomer_id) for r in db.session.scalars(select(PairRule))] == [
            (v2.id, n2.id)
        ]


def test_another_agencys_people_and_rules_are_not_found(
    app: Flask,
    office: Office,
    make_agency: Callable[..., Agency],
    make_user: Callable[..., User],
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
) -> None:
    other = make_agency(slug="bonn-test")
    theirs_v, theirs_n = make_volunteer(other), make_newcomer(other)
    ours_v, ours_n = make_volunteer(office.agency), make_newcomer(office.agency)
    client = _client(app, office.coordinator)
    assert (
        client.post(PIN, data={"volunteer_id": theirs_v.id, "newcomer_id": ours_n.id}).status_code
        == 404
    )
    assert client.post(FORBID, data={"volunteer_id": ours_v.id, "newcomer_id": theirs_n.id,
                                     "reason": "x"}).status_code == 404  # fmt: skip
    theirs = _client(app, make_user("coordinator", other))
    assert theirs.post(FORBID, data={"volunteer_id": theirs_v.id, "newcomer_id": theirs_n.id,
                                     "reason": "x"}).status_code == 302  # fmt: skip
    with inside(app):
        rule_id = db.session.scalars(select(PairRule.id)).one()
    assert client.post(f"/matching/rules/{rule_id}/undo").status_code == 404
    assert "x" not in client.get("/matching/rules").get_data(as_text=True).split("<main")[-1]
    with inside(app):
        assert db.session.scalars(select(PairRule)).one().agency_id == other.id
