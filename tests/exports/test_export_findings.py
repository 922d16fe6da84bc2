"""Exports read like the pages (feat B12, B13; walk B7, 4a): labels, places, dates, scores."""

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from matcher.extensions import db
from matcher.models import Match
from tests.conftest import inside, login


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@pytest.fixture
def bonn(
    app: Flask, client: FlaskClient, make_agency: Callable[..., Any],
    make_user: Callable[..., Any], make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> dict[str, Any]:  # fmt: skip
    """An agency with one Patenschaft of each kind, and an admin logged in."""
    agency = make_agency(slug="testbonn", name="Testagentur Bonn")
    anna_lena = make_volunteer(
        agency, first_name="Anna-Lena", last_name="Formel", capacity=2, phone="+49 221 123456",
        languages={"ar": "native", "de": "good"}, age_band="26_35", gender="female",
        topics=["authorities", "housing"],
    )  # fmt: skip
    bodo = make_volunteer(agency, first_name="Bodo", capacity=3)
    carla = make_volunteer(agency, first_name="Carla")
    dora = make_volunteer(agency, first_name="Dora")
    xenia = make_newcomer(
        agency, first_name="Xenia", contact_note='=HYPERLINK("http://evil.example","x")',
        age_band="26_35", languages={"uk": "native"}, topics=["housing"],
    )  # fmt: skip
    others = [make_newcomer(agency, first_name=f"N{i}") for i in range(3)]
    with inside(app):
        matches = [
            Match(agency_id=agency.id, volunteer_id=bodo.id, newcomer_id=xenia.id,
                  status="active", score=0.61, proposed_at=_at(date(2026, 3, 1)),
                  approved_at=_at(date(2026, 3, 2)), started_at=_at(date(2026, 3, 10))),
            Match(agency_id=agency.id, volunteer_id=carla.id, newcomer_id=others[0].id,
                  status="ended", end_reason="no_time", score=0.705,
                  proposed_at=_at(date(2026, 1, 5)), started_at=_at(date(2026, 1, 20)),
                  ended_at=_at(date(2026, 6, 30))),
            Match(agency_id=agency.id, volunteer_id=dora.id, newcomer_id=others[1].id,
                  status="proposed", score=0.5, proposed_at=_at(date(2026, 9, 1))),
            Match(agency_id=agency.id, volunteer_id=carla.id, newcomer_id=others[2].id,
                  status="rejected", reject_reason="zieht um", proposed_at=_at(date(2026, 2, 1)),
                  rejected_at=_at(date(2026, 2, 2))),
        ]  # fmt: skip
        db.session.add_all(matches)
        db.session.commit()
        ids = [m.id for m in matches]
    login(client, make_user("admin"))
    return {"agency": agency, "anna_lena": anna_lena, "bodo": bodo, "xenia": xenia,
            "match_ids": ids}  # fmt: skip


def _export(client: FlaskClient, agency: Any, **form: str) -> Any:
    data = {"agency": str(agency.id), "kind": "volunteers", "fmt": "xlsx", "delimiter": ";",
            "status": ""}  # fmt: skip
    data.update(form)
    response = client.post("/admin/exports", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _sheet(response: Any) -> Any:
    return openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]


def _xlsx(response: Any) -> list[dict[str, Any]]:
    rows = list(_sheet(response).iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def _csv(response: Any, delimiter: str = ";") -> list[dict[str, str]]:
    text = response.data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def _by(rows: list[dict[str, Any]], column: str, value: Any) -> dict[str, Any]:
    return next(r for r in rows if r[column] == value)


# --------------------------------------------------------------------------- feat B12


def test_feat_b12_capacity_is_labelled_places_and_patenschaften_are_really_counted(
    client: FlaskClient, bonn: dict[str, Any]
) -> None:
    for fmt in ("xlsx", "csv"):
        response = _export(client, bonn["agency"], fmt=fmt)
        rows = _xlsx(response) if fmt == "xlsx" else _csv(response)
        assert "Anzahl Patenschaften" not in rows[0]
        anna_lena = _by(rows, "Vorname", "Anna-Lena")
        bodo = _by(rows, "Vorname", "Bodo")
        carla = _by(rows, "Vorname", "Carla")
        # Anna-Lena has two places and no Patenschaft; Bodo three places and one running.
        assert str(anna_lena["Plätze"]) == "2" and str(anna_lena["Aktuelle Patenschaften"]) == "0"
        assert str(bodo["Plätze"]) == "3" and str(bodo["Aktuelle Patenschaften"]) == "1"
        # An ended Patenschaft and a rejected proposal take no place.
        assert str(carla["Aktuelle Patenschaften"]) == "0"
    pseudo = _xlsx(_export(client, bonn["agency"], pseudonymised="y"))
    assert "Anzahl Patenschaften" not in pseudo[0] and sorted(r["Plätze"] for r in pseudo) == [
        1, 1, 2, 3]  # fmt: skip


# --------------------------------------------------------------------------- walk B7, feat B13


def test_walk_b7_exports_show_the_ui_labels_not_internal_codes(
    client: FlaskClient, bonn: dict[str, Any]
) -> None:
    agency = bonn["agency"]
    volunteers = _xlsx(_export(client, agency))
    anna_lena = _by(volunteers, "Vorname", "Anna-Lena")
    assert anna_lena["Status"] == "aktiv"
    assert anna_lena["Sprachen"] == "Arabisch (Muttersprache), Deutsch (gut)"
    assert anna_lena["Themen"] == "Behördengänge, Wohnungssuche"

    newcomers = _csv(_export(client, agency, kind="newcomers", fmt="csv"))
    xenia = _by(newcomers, "Vorname", "Xenia")
    assert xenia["Altersgruppe"] == "26–35" and xenia["Status"] == "wartend"
    assert xenia["Sprachen"] == "Ukrainisch (Muttersprache)" and xenia["Themen"] == "Wohnungssuche"

    matches = _xlsx(_export(client, agency, kind="matches", status="ended"))
    assert [(m["Status"], m["Grund des Endes"]) for m in matches] == [("beendet", "keine Zeit")]
    rejected = _xlsx(_export(client, agency, kind="matches", status="rejected"))
    assert [m["Status"] for m in rejected] == ["abgelehnt"]

    pseudo = _xlsx(_export(client, agency, pseudonymised="y"))
    anna = next(r for r in pseudo if r["Plätze"] == 2)
    assert anna["Altersgruppe"] == "26–35" and anna["Geschlecht"] == "weiblich"
    assert anna["Sprachen"] == "Arabisch, Deutsch" and anna["Status"] == "aktiv"
    pseudo_matches = _csv(_export(client, agency, kind="matches", fmt="csv", pseudonymised="y"))
    assert {(m["Status"], m["Grund des Endes"]) for m in pseudo_matches} == {
        ("aktiv", ""), ("beendet", "keine Zeit")}  # fmt: skip
    codes = {"active", "ended", "no_time", "26_35", "female", "native", "waiting", "housing"}
    for response in (
        _export(client, agency, fmt="csv"),
        _export(client, agency, kind="newcomers", fmt="csv", pseudonymised="y"),
        _export(client, agency, kind="matches", fmt="csv"),
    ):
        cells = {cell for row in _csv(response) for cell in row.values()}
        assert not cells & codes


def test_feat_b13_phone_numbers_carry_no_escape_apostrophe_but_formulas_stay_harmless(
    client: FlaskClient, bonn: dict[str, Any]
) -> None:
    agency = bonn["agency"]
    # XLSX: a text cell is never run, so it holds the text exactly.
    sheet = _sheet(_export(client, agency))
    header = [c.value for c in sheet[1]]
    phones = [row[header.index("Telefon")] for row in sheet.iter_rows(min_row=2)]
    assert "+49 221 123456" in [c.value for c in phones]
    assert all(c.data_type == "s" for c in phones if c.value is not None)
    sheet = _sheet(_export(client, agency, kind="newcomers"))
    header = [c.value for c in sheet[1]]
    notes = [row[header.index("Kontakt")] for row in sheet.iter_rows(min_row=2)]
    hyperlink = next(c for c in notes if c.value and "HYPERLINK" in c.value)
    assert hyperlink.value == '=HYPERLINK("http://evil.example","x")'
    assert hyperlink.data_type == "s"  # text, not a formula
    # CSV: the phone number is a plain number to a spreadsheet; the formula is neutralised.
    for delimiter in (";", ","):
        volunteers = _csv(_export(client, agency, fmt="csv", delimiter=delimiter), delimiter)
        assert _by(volunteers, "Vorname", "Anna-Lena")["Telefon"] == "+49 221 123456"
        newcomers = _csv(
            _export(client, agency, kind="newcomers", fmt="csv", delimiter=delimiter), delimiter
        )
        assert _by(newcomers, "Vorname", "Xenia")["Kontakt"] == (
            '\'=HYPERLINK("http://evil.example","x")'
        )


# --------------------------------------------------------------------------- walk 4a


def test_walk_4a_all_patenschaften_leave_out_open_proposals_and_rejected_pairs(
    client: FlaskClient, bonn: dict[str, Any]
) -> None:
    agency = bonn["agency"]
    active, ended, proposed, rejected = bonn["match_ids"]
    for pseudonymised in ("", "y"):
        rows = _xlsx(_export(client, agency, kind="matches", pseudonymised=pseudonymised))
        assert sorted(r["Status"] for r in rows) == ["aktiv", "beendet"]
    # Asked for by their status, they are there.
    rows = _xlsx(_export(client, agency, kind="matches", status="proposed"))
    assert [r["Nr."] for r in rows] == [proposed]
    rows = _xlsx(_export(client, agency, kind="matches", status="rejected"))
    assert [r["Nr."] for r in rows] == [rejected]


def test_walk_4a_pseudonymised_score_is_on_the_0_to_100_scale_the_pages_show(
    client: FlaskClient, bonn: dict[str, Any]
) -> None:
    rows = _csv(_export(client, bonn["agency"], kind="matches", fmt="csv", pseudonymised="y"))
    # The proposal page shows "61 / 100" and "70 / 100" ("%.0f" of 70.5 rounds to even).
    assert sorted(r["Punktzahl"] for r in rows) == ["61", "70"]
    rows = _xlsx(_export(client, bonn["agency"], kind="matches", pseudonymised="y"))
    assert sorted(r["Punktzahl"] for r in rows) == [61, 70]


def test_walk_4a_dates_are_german_and_the_header_row_has_a_filter(
    client: FlaskClient, bonn: dict[str, Any]
) -> None:
    agency = bonn["agency"]
    rows = _csv(_export(client, agency, kind="matches", fmt="csv"))
    active = _by(rows, "Status", "aktiv")
    assert active["Vorgeschlagen am"] == "01.03.2026" and active["Begonnen am"] == "10.03.2026"
    pseudo = _csv(_export(client, agency, kind="matches", fmt="csv", pseudonymised="y"))
    assert {r["Begonnen im"] for r in pseudo} == {"03.2026", "01.2026"}

    sheet = _sheet(_export(client, agency, kind="matches"))
    header = [c.value for c in sheet[1]]
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}3"
    assert sheet.freeze_panes == "A2"
    started = [row[header.index("Begonnen am")] for row in sheet.iter_rows(min_row=2)]
    assert {c.value for c in started} == {datetime(2026, 3, 10), datetime(2026, 1, 20)}
    assert all(c.is_date and c.number_format == "DD.MM.YYYY" for c in started)
    sheet = _sheet(_export(client, agency, kind="matches", pseudonymised="y"))
    header = [c.value for c in sheet[1]]
    months = [row[header.index("Begonnen im")] for row in sheet.iter_rows(min_row=2)]
    assert all(c.is_date and c.number_format == "MM.YYYY" for c in months)
    assert {c.value for c in months} == {datetime(2026, 3, 1), datetime(2026, 1, 1)}
