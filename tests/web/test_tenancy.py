"""A coordinator sees only their own agency's people — on every page, enforced in one place."""

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from matcher import tenancy
from matcher.extensions import db
from matcher.models import Agency, ConsentRecord, Match, Newcomer, Volunteer
from tests.conftest import login
from tests.security.routes import ID_PARAMETERS


def id_routes(app: Flask) -> list[Any]:
    """Every GET route with an id parameter that coordinators may use (not static, public or
    admin-only: the admin area is closed to coordinators by its guard, see tests/security)."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.arguments
        and rule.endpoint != "static"
        and "GET" in (rule.methods or ())
        and not _is_public(app, rule.endpoint)
        and _admits_coordinators(app, rule.endpoint)
    ]


def _admits_coordinators(app: Flask, endpoint: str) -> bool:
    bp = app.blueprints.get(endpoint.rpartition(".")[0])
    return bp is None or "coordinator" in (getattr(bp, "guarded_roles", None) or ())


def _is_public(app: Flask, endpoint: str) -> bool:
    """In a blueprint marked `guards.public` (e.g. /signup/<slug>: no person's data behind it)."""
    bp = app.blueprints.get(endpoint.rpartition(".")[0])
    return bp is not None and getattr(bp, "guarded_roles", ...) is None


def url_for_rule(app: Flask, rule: Any, people: dict[str, Any]) -> str:
    values = {arg: people[ID_PARAMETERS[arg]].id for arg in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def test_every_id_route_is_covered(app: Flask) -> None:
    routes = id_routes(app)
    assert routes, "expected routes with ids"
    for rule in routes:
        unknown = set(rule.arguments) - set(ID_PARAMETERS)
        assert not unknown, f"{rule.rule}: add {unknown} to ID_PARAMETERS"


def test_coordinator_gets_404_for_every_page_about_another_agencys_people(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    client = app.test_client()
    login(client, two_agencies["a"]["coordinator"])
    for rule in id_routes(app):
        own = client.get(url_for_rule(app, rule, two_agencies["a"]))
        assert own.status_code == 200, rule.rule  # the route works for one's own people ...
        foreign = client.get(url_for_rule(app, rule, two_agencies["b"]))
        assert foreign.status_code == 404, rule.rule  # ... and not for anybody else's
        body = foreign.get_data(as_text=True)
        assert "VolB" not in body and "NewB" not in body


def test_lists_show_only_own_agency(app: Flask, two_agencies: dict[str, Any]) -> None:
    client = app.test_client()
    login(client, two_agencies["a"]["coordinator"])
    volunteers = client.get("/volunteers").get_data(as_text=True)
    newcomers = client.get("/newcomers").get_data(as_text=True)
    assert "VolA" in volunteers and "VolB" not in volunteers
    assert "NewA" in newcomers and "NewB" not in newcomers
    searched = client.get("/volunteers?q=VolB").get_data(as_text=True)
    assert "Keine Ehrenamtlichen gefunden." in searched  # the query is echoed, the person not


def test_admin_sees_one_agencys_people_at_a_time_after_choosing_it(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    client = app.test_client()
    login(client, two_agencies["admin"])
    a, b = two_agencies["a"], two_agencies["b"]
    assert "/admin/act-as" in client.get(f"/volunteers/{a['volunteer'].id}").location
    for key, other in (("a", b), ("b", a)):
        client.post("/admin/act-as", data={"agency": str(two_agencies[key]["agency"].id)})
        assert client.get(f"/volunteers/{two_agencies[key]['volunteer'].id}").status_code == 200
        assert client.get(f"/volunteers/{other['volunteer'].id}").status_code == 404
        page = client.get("/volunteers").get_data(as_text=True)
        assert two_agencies[key]["volunteer"].first_name in page
        assert other["volunteer"].first_name not in page


def test_scope_applies_to_every_orm_query(app: Flask, two_agencies: dict[str, Any]) -> None:
    a_id = two_agencies["a"]["agency"].id
    with app.test_request_context(), tenancy.for_agency(a_id):
        assert {v.agency_id for v in db.session.scalars(select(Volunteer))} == {a_id}
        # Joined entities are scoped as well, not only the first one.
        rows = db.session.execute(
            select(ConsentRecord, Volunteer).join(
                Volunteer, ConsentRecord.volunteer_id == Volunteer.id
            )
        ).all()
        assert rows and all(v.agency_id == a_id and c.agency_id == a_id for c, v in rows)
        b_newcomer = two_agencies["b"]["newcomer"].id
        assert db.session.get(Newcomer, b_newcomer) is None
        with tenancy.all_agencies():
            assert db.session.get(Newcomer, b_newcomer) is not None


def test_anonymous_requests_see_no_rows(app: Flask, two_agencies: dict[str, Any]) -> None:
    with app.test_request_context(), tenancy.nobody():
        assert db.session.scalars(select(Volunteer)).all() == []
    anonymous = app.test_client()
    assert anonymous.get(f"/volunteers/{two_agencies['a']['volunteer'].id}").status_code == 302


def test_a_query_outside_any_scope_fails_closed(app: Flask, two_agencies: dict[str, Any]) -> None:
    """A command, job or shell that forgot to say whose rows it works on finds out at once."""
    with app.app_context():
        with pytest.raises(tenancy.TenancyError, match="Volunteer"):
            db.session.scalars(select(Volunteer)).all()
        with pytest.raises(tenancy.TenancyError):
            db.session.execute(select(Match.id).join(Volunteer)).all()
        # Rows of no agency (agencies, users) need no scope.
        assert db.session.scalars(select(Agency)).all()
        with pytest.raises(tenancy.TenancyError):
            db.session.scalar(select(func.count(Volunteer.id)))


@pytest.mark.parametrize("path", ["/volunteers/999999", "/newcomers/0"])
def test_unknown_ids_are_404(app: Flask, two_agencies: dict[str, Any], path: str) -> None:
    client = app.test_client()
    login(client, two_agencies["a"]["coordinator"])
    assert client.get(path).status_code == 404


def test_consents_are_recorded_only_for_the_own_agencys_newcomers(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    """Another agency's newcomer, or her consent named in the form, is a 404 that changes
    nothing; an admin records consent only for the agency she acts as."""
    a, b = two_agencies["a"], two_agencies["b"]
    with app.app_context(), tenancy.all_agencies():
        b_consent = db.session.scalars(
            select(ConsentRecord.id).where(ConsentRecord.newcomer_id == b["newcomer"].id)
        ).one()
        a_consent = db.session.scalars(
            select(ConsentRecord.id).where(ConsentRecord.newcomer_id == a["newcomer"].id)
        ).one()
    give = {"purpose": "contact_sharing", "consent_language": "ar", "consent_channel": "paper"}
    client = app.test_client()
    login(client, a["coordinator"])
    n_a, n_b = a["newcomer"].id, b["newcomer"].id
    assert client.post(f"/newcomers/{n_b}/consents", data=give).status_code == 404
    withdraw_b = {"consent_id": str(b_consent)}
    assert client.post(f"/newcomers/{n_b}/consents/withdraw", data=withdraw_b).status_code == 404
    assert client.post(f"/newcomers/{n_a}/consents/withdraw", data=withdraw_b).status_code == 404
    with app.app_context(), tenancy.all_agencies():
        assert db.session.scalar(select(func.count(ConsentRecord.id))) == 4  # 2 per agency
        assert (
            db.session.scalar(
                select(func.count(ConsentRecord.id)).where(ConsentRecord.withdrawn_at.is_not(None))
            )
            == 0
        )

    admin = app.test_client()
    login(admin, two_agencies["admin"])
    admin.post("/admin/act-as", data={"agency": str(a["agency"].id)})
    assert admin.post(f"/newcomers/{n_b}/consents", data=give).status_code == 404
    assert admin.post(f"/newcomers/{n_a}/consents", data=give).status_code == 302
    withdraw_a = {"consent_id": str(a_consent)}
    assert admin.post(f"/newcomers/{n_a}/consents/withdraw", data=withdraw_a).status_code == 302
    with app.app_context(), tenancy.all_agencies():
        given = db.session.scalars(
            select(ConsentRecord).where(ConsentRecord.newcomer_id == n_a)
        ).all()
        assert {(c.purpose, c.withdrawn_at is None) for c in given} == {
            ("matching", False), ("contact_sharing", True),
        }  # fmt: skip
        assert {c.taken_by_id for c in given if c.purpose == "contact_sharing"} == {
            two_agencies["admin"].id
        }
