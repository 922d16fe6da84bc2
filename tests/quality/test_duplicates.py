"""Likely duplicates are flagged (and near misses are not); a merge keeps one record and
moves everything that points at the other to it, and refuses what would break a rule."""

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Column, ForeignKey, Integer, Table, func, insert, select

from matcher import tenancy
from matcher.extensions import db
from matcher.models import (
    AuditEvent,
    Base,
    CheckIn,
    ConsentRecord,
    Match,
    Newcomer,
    ProfileChange,
    Volunteer,
)
from matcher.services.people import duplicates
from tests.conftest import inside
from tests.security.routes import snapshot


@pytest.fixture
def agency(make_agency: Callable[..., Any]) -> Any:
    return make_agency(slug="diakonie", name="Diakonie Köln")


@pytest.fixture
def staff(logged_in: Callable[..., Any], agency: Any) -> Any:
    return logged_in("coordinator", agency)


def flagged_ids(app: Flask, agency: Any, kind: str) -> set[frozenset[int]]:
    with app.app_context(), tenancy.for_agency(agency.id):
        return {frozenset((p.first.id, p.second.id)) for p in duplicates.find(kind)}


def test_each_criterion_flags_a_pair_and_near_misses_do_not(
    app: Flask, agency: Any, make_agency: Callable[..., Any],
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    vol = make_volunteer
    # E-mail, folded as search folds it: ß = ss (both are lower case, so the database's
    # per-agency unique address lets both in).
    a = vol(agency, first_name="Jens", last_name="Groß", email="jens.straße@example.org")
    b = vol(agency, first_name="J.", last_name="Gross", email="jens.strasse@example.org",
            postcode="50667")  # fmt: skip
    vol(agency, first_name="Jens", last_name="Klein", email="jens.strassen@example.org",
        postcode="50668")  # near miss  # fmt: skip
    # Phone: the same number in E.164 and as typed before the phone rules.
    c = vol(agency, first_name="Olga", last_name="Berg", phone="+49221123456", postcode="50670")
    d = vol(agency, first_name="Olga", last_name="Bergmann", phone="0221 123456", postcode="50672")
    vol(agency, first_name="Omar", last_name="Said", phone="+49221123457", postcode="50674")
    # Name and postcode, folded: case and spaces do not matter, letters do.
    e = vol(agency, first_name="Ayşe", last_name="Öztürk", postcode="50733")
    f = vol(agency, first_name="AYŞE ", last_name=" öztürk", postcode="50733")
    vol(agency, first_name="Ayşe", last_name="Öztürk", postcode="50735")  # another postcode
    vol(agency, first_name="Ayse", last_name="Özturk", postcode="50733")  # other letters
    # Another agency's twin is never flagged.
    vol(make_agency(), first_name="Ayşe", last_name="Öztürk", postcode="50733")
    found = flagged_ids(app, agency, "volunteer")
    assert found == {frozenset((a.id, b.id)), frozenset((c.id, d.id)), frozenset((e.id, f.id))}
    with app.app_context(), tenancy.for_agency(agency.id):
        reasons = {
            frozenset((p.first.id, p.second.id)): p.reasons for p in duplicates.find("volunteer")
        }
    assert reasons[frozenset((a.id, b.id))] == ["email"]
    assert reasons[frozenset((c.id, d.id))] == ["phone"]
    assert reasons[frozenset((e.id, f.id))] == ["name_postcode"]

    # Newcomers: first name and postcode, or phone.
    n1 = make_newcomer(agency, first_name="Amal", postcode="50825")
    n2 = make_newcomer(agency, first_name="amal", postcode="50825", phone="+4917612345678")
    n3 = make_newcomer(agency, first_name="Rania", postcode="50999", phone="0176 12345678")
    make_newcomer(agency, first_name="Amal", postcode="50827")
    make_newcomer(agency, first_name="Amala", postcode="50825")
    make_newcomer(agency, first_name="Rania", postcode="50998", phone="0176 12345679")
    assert flagged_ids(app, agency, "newcomer") == {
        frozenset((n1.id, n2.id)), frozenset((n2.id, n3.id))
    }  # fmt: skip


def test_the_duplicates_page_and_the_persons_page_flag_a_pair_until_marked_not_one(
    app: Flask, staff: Any, agency: Any, make_volunteer: Callable[..., Any]
) -> None:
    a = make_volunteer(agency, first_name="Lea", last_name="Kurz", postcode="50733")
    b = make_volunteer(agency, first_name="Lea", last_name="Kurz", postcode="50733")
    page = staff.get("/duplicates").get_data(as_text=True)
    assert "Mögliche Doppelungen" in page and "gleicher Name und gleiche PLZ" in page
    assert f"/volunteers/{a.id}/merge?with={b.id}" in page
    person = staff.get(f"/volunteers/{b.id}").get_data(as_text=True)
    assert f"/volunteers/{b.id}/merge?with={a.id}" in person
    response = staff.post(f"/volunteers/{a.id}/not-duplicate", data={"other": str(b.id)})
    assert response.status_code == 302
    assert flagged_ids(app, agency, "volunteer") == set()
    assert f"merge?with={a.id}" not in staff.get(f"/volunteers/{b.id}").get_data(as_text=True)
    with inside(app):
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("volunteer.not_duplicate") == 2


# --------------------------------------------------------------------------- merging


@pytest.fixture
def later_table(app: Flask) -> Iterator[Table]:
    """A table the merge has never heard of (as a helper's notes table will be), with a
    foreign key to each person table: the merge must move its rows too."""
    table = Table(
        "quality_test_later",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE")),
        Column("newcomer_id", ForeignKey("newcomers.id", ondelete="CASCADE")),
    )
    with inside(app):
        table.create(db.engine)
    try:
        yield table
    finally:
        Base.metadata.remove(table)
        with inside(app):
            db.session.remove()
            table.drop(db.engine)


def referencing_rows(person_table: str, person_id: int) -> dict[str, int]:
    """Rows of any table whose foreign key points at the person (walked here, independently
    of the merge's own walk)."""
    out: dict[str, int] = {}
    columns = [
        fk.parent
        for table in Base.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.column.table.name == person_table
    ]
    assert columns
    for column in columns:
        count = db.session.scalar(
            select(func.count()).select_from(column.table).where(column == person_id)
        )
        if count:
            out[f"{column.table.name}.{column.name}"] = int(count or 0)
    return out


def test_a_merge_moves_every_row_that_points_at_the_other_record_and_deletes_it(
    app: Flask, staff: Any, agency: Any, later_table: Table,
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    kept = make_volunteer(agency, first_name="Tom", last_name="Weber", phone="",
                          languages={"de": "native"}, capacity=1)  # fmt: skip
    other = make_volunteer(agency, first_name="Tom", last_name="Weber", phone="+49221555000",
                           languages={"de": "good", "fa": "fluent"}, capacity=2,
                           certificate_inspected_on=date(2026, 6, 1),
                           certificate_issued_on=date(2026, 5, 1), certificate_result="clear")  # fmt: skip
    n_open = make_newcomer(agency, first_name="Hadi")
    n_ended = make_newcomer(agency, first_name="Sami")
    with inside(app):
        db.session.add_all([
            Match(agency_id=agency.id, volunteer_id=kept.id, newcomer_id=n_open.id, status="active"),
            Match(agency_id=agency.id, volunteer_id=other.id, newcomer_id=n_ended.id,
                  status="ended", end_reason="goal_reached"),
        ])  # fmt: skip
        db.session.flush()
        ended = db.session.scalars(select(Match).where(Match.volunteer_id == other.id)).one()
        db.session.add(CheckIn(agency_id=agency.id, match_id=ended.id, due_on=date(2026, 9, 1)))
        db.session.add(ProfileChange(agency_id=agency.id, volunteer_id=other.id, field="phone",
                                     old_value="", new_value="+49221555000", source="self"))  # fmt: skip
        db.session.add(AuditEvent(action="volunteer.view", object_type="volunteer",
                                  object_id=other.id, agency_id=agency.id))  # fmt: skip
        db.session.execute(insert(later_table).values(volunteer_id=other.id))
        db.session.commit()
        before = referencing_rows("volunteers", other.id)
    # Every kind of row is there to be moved: matches, consents, languages, history, and
    # the table added "later".
    assert set(before) >= {
        "matches.volunteer_id", "consent_records.volunteer_id", "volunteer_languages.volunteer_id",
        "profile_changes.volunteer_id", "quality_test_later.volunteer_id",
    }  # fmt: skip

    preview = staff.get(f"/volunteers/{kept.id}/merge?with={other.id}")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Was erhalten bleibt" in html and 'value="Zusammenführen"' in html
    assert "0221 555000" in html  # the phone the kept record gets from the other
    with inside(app):
        assert db.session.get(Volunteer, other.id) is not None  # the preview changes nothing

    response = staff.post(f"/volunteers/{kept.id}/merge", data={"other": str(other.id)})
    assert response.status_code == 302 and response.location.endswith(f"/volunteers/{kept.id}")
    with inside(app):
        assert db.session.get(Volunteer, other.id) is None
        assert referencing_rows("volunteers", other.id) == {}
        v = db.session.get(Volunteer, kept.id)
        assert v is not None
        assert v.phone == "+49221555000" and v.capacity == 2
        assert {lang.code: lang.level for lang in v.languages} == {"de": "native", "fa": "fluent"}
        assert v.certificate_issued_on == date(2026, 5, 1)
        assert {m.newcomer_id for m in v.matches} == {n_open.id, n_ended.id}
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(later_table)
                .where(later_table.c.volunteer_id == kept.id)
            )
            == 1
        )
        in_force = db.session.scalars(
            select(ConsentRecord).where(
                ConsentRecord.volunteer_id == kept.id, ConsentRecord.withdrawn_at.is_(None)
            )
        ).all()
        assert len(in_force) == 1  # one in force; the other's stays in the history, closed
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(ConsentRecord)
                .where(ConsentRecord.volunteer_id == kept.id)
            )
            == 2
        )
        fields = [c.field for c in db.session.scalars(
            select(ProfileChange).where(ProfileChange.volunteer_id == kept.id)
        )]  # fmt: skip
        assert {"merged_from", "merged_into", "phone", "languages"} <= set(fields)
        assert fields.count("phone") == 2  # the other's own history came along
        audits = db.session.execute(
            select(AuditEvent.action, AuditEvent.object_id).where(
                AuditEvent.object_type == "volunteer"
            )
        ).all()
        assert ("volunteer.view", kept.id) in audits  # the other's references moved
        assert ("volunteer.merge", kept.id) in audits
        assert ("volunteer.merged_away", other.id) in audits
    page = staff.get(f"/volunteers/{kept.id}").get_data(as_text=True)
    assert "Mit einem anderen Eintrag zusammengeführt" in page


def test_merging_two_newcomers_moves_the_open_match_and_the_waiting_time(
    app: Flask, staff: Any, agency: Any, later_table: Table,
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    v = make_volunteer(agency)
    kept = make_newcomer(agency, first_name="Amal", waiting_since=date(2026, 9, 1))
    other = make_newcomer(agency, first_name="Amal", waiting_since=date(2026, 3, 1),
                          status="matched", phone="+4917612345678", contact_channel="whatsapp")  # fmt: skip
    with inside(app):
        db.session.add(Match(agency_id=agency.id, volunteer_id=v.id, newcomer_id=other.id,
                             status="active"))  # fmt: skip
        db.session.execute(insert(later_table).values(newcomer_id=other.id))
        db.session.commit()
    response = staff.post(f"/newcomers/{kept.id}/merge", data={"other": str(other.id)})
    assert response.status_code == 302
    with inside(app):
        assert db.session.get(Newcomer, other.id) is None
        assert referencing_rows("newcomers", other.id) == {}
        n = db.session.get(Newcomer, kept.id)
        assert n is not None and n.status == "matched" and n.waiting_since == date(2026, 3, 1)
        assert (n.phone, n.contact_channel) == ("+4917612345678", "whatsapp")
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(later_table)
                .where(later_table.c.newcomer_id == kept.id)
            )
            == 1
        )


def test_a_merge_that_would_give_a_newcomer_two_open_matches_is_refused_with_409(
    app: Flask, staff: Any, agency: Any,
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    v1, v2 = make_volunteer(agency), make_volunteer(agency)
    kept = make_newcomer(agency, first_name="Amal")
    other = make_newcomer(agency, first_name="Amal")
    with inside(app):
        db.session.add_all([
            Match(agency_id=agency.id, volunteer_id=v1.id, newcomer_id=kept.id, status="proposed"),
            Match(agency_id=agency.id, volunteer_id=v2.id, newcomer_id=other.id, status="active"),
        ])  # fmt: skip
        db.session.commit()
    preview = staff.get(f"/newcomers/{kept.id}/merge?with={other.id}").get_data(as_text=True)
    assert "nur eine haben" in preview and 'value="Zusammenführen"' not in preview
    before = snapshot(app)
    response = staff.post(f"/newcomers/{kept.id}/merge", data={"other": str(other.id)})
    assert response.status_code == 409
    assert "nur eine haben" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_a_merge_that_would_give_a_volunteer_more_than_three_open_matches_is_refused(
    app: Flask, staff: Any, agency: Any,
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    kept = make_volunteer(agency, first_name="Uta", last_name="Lang", capacity=3)
    other = make_volunteer(agency, first_name="Uta", last_name="Lang", capacity=1)
    with inside(app):
        for i, v in enumerate((kept, kept, kept, other)):
            n = make_newcomer(agency, first_name=f"N{chr(65 + i)}")
            db.session.add(Match(agency_id=agency.id, volunteer_id=v.id, newcomer_id=n.id,
                                 status="active"))  # fmt: skip
        db.session.commit()
    before = snapshot(app)
    response = staff.post(f"/volunteers/{kept.id}/merge", data={"other": str(other.id)})
    assert response.status_code == 409 and "mehr als drei" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_every_new_route_is_404_for_another_agencys_people(
    app: Flask, two_agencies: dict[str, Any], make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    a, b = two_agencies["a"], two_agencies["b"]
    client = app.test_client()
    from tests.conftest import login

    assert login(client, a["coordinator"]).status_code == 302
    va, vb = a["volunteer"], b["volunteer"]
    na, nb = a["newcomer"], b["newcomer"]
    # A twin of B's people in B, so that B has a flagged pair.
    make_volunteer(b["agency"], first_name=vb.first_name, last_name=vb.last_name)
    make_newcomer(b["agency"], first_name=nb.first_name)
    before = snapshot(app)
    requests = [
        ("GET", f"/volunteers/{vb.id}/edit", None),
        ("POST", f"/volunteers/{vb.id}/edit", {"first_name": "X"}),
        ("GET", f"/volunteers/{vb.id}/merge", None),
        ("GET", f"/volunteers/{vb.id}/merge?with={va.id}", None),
        ("GET", f"/volunteers/{va.id}/merge?with={vb.id}", None),
        ("POST", f"/volunteers/{va.id}/merge", {"other": str(vb.id)}),
        ("POST", f"/volunteers/{vb.id}/merge", {"other": str(va.id)}),
        ("POST", f"/volunteers/{va.id}/not-duplicate", {"other": str(vb.id)}),
        ("POST", f"/volunteers/{vb.id}/not-duplicate", {"other": str(va.id)}),
        ("GET", f"/newcomers/{nb.id}/merge", None),
        ("GET", f"/newcomers/{na.id}/merge?with={nb.id}", None),
        ("POST", f"/newcomers/{na.id}/merge", {"other": str(nb.id)}),
        ("POST", f"/newcomers/{nb.id}/merge", {"other": str(na.id)}),
        ("POST", f"/newcomers/{na.id}/not-duplicate", {"other": str(nb.id)}),
        ("POST", f"/newcomers/{nb.id}/not-duplicate", {"other": str(na.id)}),
    ]
    for method, path, data in requests:
        response = client.open(path, method=method, data=data or {})
        assert response.status_code == 404, f"{method} {path}"
        assert "VolB" not in response.get_data(as_text=True)
    page = client.get("/duplicates").get_data(as_text=True)
    assert "VolB" not in page and "NewB" not in page
    assert snapshot(app) == before
