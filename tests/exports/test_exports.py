"""Exports: every row read back from XLSX and CSV, formula injection harmless, filters, audit."""

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import AuditEvent, Match
from matcher.services.lists.spreadsheet import neutralise
from tests.conftest import inside

# Names a spreadsheet would run as formulas or misread.
NASTY = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(A1)",
    "-2+3",
    "+A1*2",
    "\tTabby",
    "\nNewline",
    "\rReturn",
    "  =1+1",
]
# Texts that start like a formula but can only ever be a number: left as they are.
PLAIN = ["+49 221 5550199", "+49 (0)221 12 34-56", "-5", "0221/123456"]


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows():
        for cell in row:
            # No cell is stored as a formula: every text is a text cell.
            assert cell.data_type != "f", cell.value
            if isinstance(cell.value, str):
                assert cell.data_type == "s", cell.value
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _csv_rows(data: bytes, delimiter: str = ";") -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def _harmless(value: Any) -> bool:
    """A CSV cell that a spreadsheet shows as text or a number, never runs."""
    text = str(value)
    plain = re.fullmatch(r"[+-][0-9][0-9 ()/.-]*", text.strip()) is not None
    dangerous = text.startswith(("\t", "\r", "\n")) or (
        text.lstrip().startswith(tuple("=+-@")) and not plain
    )
    return text.startswith("'") or not dangerous


@pytest.fixture
def agency_with_nasty_people(
    make_agency: Callable[..., Any], make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> dict[str, Any]:  # fmt: skip
    agency = make_agency(slug="awo", name="AWO")
    volunteers = [
        make_volunteer(agency, first_name=name, last_name="Muster", phone="+49 170 1234567")
        for name in NASTY
    ]
    newcomers = [
        make_newcomer(agency, first_name=name, contact_note="=cmd|' /C calc'!A0") for name in NASTY
    ]
    return {"agency": agency, "volunteers": volunteers, "newcomers": newcomers}


def test_neutralise_covers_every_dangerous_start() -> None:
    for text in NASTY + ["\uff1dSUM(1)", "\uff0b49 221", "+49 221 1234 =A1", "-1e3", "+"]:
        assert neutralise(text).startswith("'"), repr(text)
    for text in ("Anna", "O'Brien", "50823", "", "a=b", "Müller-Lüdenscheidt", *PLAIN):
        assert neutralise(text) == text


def _export(client: FlaskClient, agency_id: int, **form: str) -> Any:
    data = {"agency": str(agency_id), "kind": "volunteers", "fmt": "xlsx", "delimiter": ";",
            "status": ""}  # fmt: skip
    data.update(form)
    return client.post("/admin/exports", data=data)


def test_xlsx_and_csv_hold_every_row_and_no_formula(
    logged_in: Callable[..., FlaskClient], agency_with_nasty_people: dict[str, Any]
) -> None:
    agency = agency_with_nasty_people["agency"]
    client = logged_in("admin")
    for kind in ("volunteers", "newcomers"):
        response = _export(client, agency.id, kind=kind, fmt="xlsx")
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        rows = _xlsx_rows(response.data)
        names = [row[1] for row in rows[1:]]
        # Text cells are never run, so they hold the names exactly, without an apostrophe.
        # (XML keeps no carriage return: the reader sees a line feed.)
        assert sorted(names) == sorted(n.replace("\r", "\n") for n in NASTY), kind

        for delimiter in (";", ","):
            response = _export(client, agency.id, kind=kind, fmt="csv", delimiter=delimiter)
            assert response.status_code == 200
            assert response.mimetype == "text/csv"
            rows = _csv_rows(response.data, delimiter)
            names = [row[1] for row in rows[1:]]
            assert sorted(names) == sorted("'" + n for n in NASTY)
            assert all(_harmless(v) for row in rows for v in row)
    # Phone numbers starting with + are plain numbers to a spreadsheet: kept as they are.
    rows = _csv_rows(_export(client, agency.id, fmt="csv").data)
    phone = rows[0].index("Telefon")
    assert rows[1][phone] == "+49 170 1234567"


def test_matches_export_filters_by_status_and_period_and_is_audited(
    app: Flask, make_user: Callable[..., Any], logged_in: Callable[..., FlaskClient],
    agency_with_nasty_people: dict[str, Any],
) -> None:  # fmt: skip
    agency = agency_with_nasty_people["agency"]
    vols, news = agency_with_nasty_people["volunteers"], agency_with_nasty_people["newcomers"]
    with inside(app):
        db.session.add_all([
            Match(agency_id=agency.id, volunteer_id=vols[0].id, newcomer_id=news[0].id,
                  status="active", proposed_at=datetime(2026, 3, 1, tzinfo=UTC),
                  started_at=datetime(2026, 3, 10, tzinfo=UTC)),
            Match(agency_id=agency.id, volunteer_id=vols[1].id, newcomer_id=news[1].id,
                  status="ended", end_reason="goal_reached",
                  proposed_at=datetime(2025, 1, 1, tzinfo=UTC),
                  started_at=datetime(2025, 1, 10, tzinfo=UTC),
                  ended_at=datetime(2025, 6, 30, tzinfo=UTC)),
            Match(agency_id=agency.id, volunteer_id=vols[2].id, newcomer_id=news[2].id,
                  status="proposed", proposed_at=datetime(2026, 9, 1, tzinfo=UTC)),
        ])  # fmt: skip
        db.session.commit()
    admin = make_user("admin")
    client = logged_in(user=admin)
    # "All": the Patenschaften themselves, without the open proposal.
    rows = _xlsx_rows(_export(client, agency.id, kind="matches").data)
    assert sorted(r[1] for r in rows[1:]) == ["aktiv", "beendet"]
    active = _xlsx_rows(_export(client, agency.id, kind="matches", status="active").data)
    assert [r[1] for r in active[1:]] == ["aktiv"]
    # Matches that ran during 2026: the one ended in 2025 is left out.
    in_2026 = _xlsx_rows(
        _export(
            client, agency.id, kind="matches", date_from="2026-01-01", date_to="2026-12-31"
        ).data
    )
    assert [r[1] for r in in_2026[1:]] == ["aktiv"]
    proposed = _xlsx_rows(_export(client, agency.id, kind="matches", status="proposed").data)
    assert [r[1] for r in proposed[1:]] == ["vorgeschlagen"]
    # A status of another list is refused with a message, not a 500.
    refused = _export(client, agency.id, kind="matches", status="waiting")
    assert refused.status_code == 400
    assert "Dieser Status passt nicht zu dieser Liste." in refused.get_data(as_text=True)
    with inside(app):
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export.matches")
        ).all()
        assert len(events) == 4
        assert {e.actor_id for e in events} == {admin.id}
        assert {e.agency_id for e in events} == {agency.id}


def test_pseudonymised_export_has_no_names_and_stable_pseudonyms(
    app: Flask, logged_in: Callable[..., FlaskClient], agency_with_nasty_people: dict[str, Any]
) -> None:
    agency = agency_with_nasty_people["agency"]
    client = logged_in("admin")
    first = _csv_rows(_export(client, agency.id, fmt="csv", pseudonymised="y").data)
    second = _csv_rows(_export(client, agency.id, fmt="csv", pseudonymised="y").data)
    assert first == second
    text = "\n".join(";".join(r) for r in first)
    for secret in ("Muster", "Tabby", "HYPERLINK", "example.org", "1234567", "50823"):
        assert secret not in text
    pseudonyms = [r[0] for r in first[1:]]
    assert len(set(pseudonyms)) == len(NASTY) and all(p.startswith("V-") for p in pseudonyms)
    assert {r[1] for r in first[1:]} == {"50"}  # postcode area only
    with inside(app):
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert actions.count("export.volunteers.pseudonymised") == 2


def test_cli_export_writes_the_file_and_audits(
    app: Flask, tmp_path: Any, agency_with_nasty_people: dict[str, Any]
) -> None:
    runner = app.test_cli_runner()
    out = tmp_path / "matches.xlsx"
    result = runner.invoke(args=["export", "volunteers", "--agency", "awo", "--format", "xlsx",
                                 "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _xlsx_rows(out.read_bytes())
    assert rows[0][1] == "Vorname" and len(rows) == len(NASTY) + 1
    out_csv = tmp_path / "n.csv"
    result = runner.invoke(args=["export", "newcomers", "--agency", "awo", "--format", "csv",
                                 "--status", "waiting", "--from", "2020-01-01",
                                 "--pseudonymised", "-o", str(out_csv)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(_csv_rows(out_csv.read_bytes())) == len(NASTY) + 1
    bad = runner.invoke(args=["export", "matches", "--agency", "nope", "-o", str(out)])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    bad = runner.invoke(args=["export", "matches", "--agency", "awo", "--status", "waiting",
                              "-o", str(out)])  # fmt: skip
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert "This status does not apply to this list." in bad.output
    with inside(app):
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "export.volunteers" in actions and "export.newcomers.pseudonymised" in actions


def test_coordinators_cannot_export(
    logged_in: Callable[..., FlaskClient], two_agencies: dict[str, Any]
) -> None:
    client = logged_in(user=two_agencies["a"]["coordinator"])
    response = _export(client, two_agencies["a"]["agency"].id)
    assert response.status_code == 403
    assert client.get("/admin/exports").status_code == 403


def test_an_export_of_an_unknown_agency_or_format_is_a_400(
    logged_in: Callable[..., FlaskClient], make_agency: Callable[..., Any]
) -> None:
    agency = make_agency()
    client = logged_in("admin")
    assert _export(client, 9999).status_code == 400
    assert _export(client, agency.id, fmt="pdf").status_code == 400
    assert (
        _export(client, agency.id, date_from="2026-02-01", date_to="2026-01-01").status_code == 400
    )
    assert _export(client, agency.id, date_from="31.02.2026").status_code == 400
    # The same form with a valid period is served: the 400s above were for the bad values.
    valid = _export(client, agency.id, date_from="2026-01-01", date_to="2026-02-01")
    assert valid.status_code == 200 and "attachment" in valid.headers["Content-Disposition"]
