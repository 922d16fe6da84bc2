"""A coordinator's own exports, funder report and demographics: their agency only, numbers
as numbers, dates as dates, small counts hidden by the one rule."""

import csv
import io
from datetime import date, timedelta

import openpyxl
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher import tenancy
from matcher.extensions import db
from matcher.models import AuditEvent
from matcher.services.lists import demographics
from tests.conftest import inside, login
from tests.reports.conftest import Offices


def _period() -> dict[str, str]:
    # The people registered "now" are new in it; those of 2024 registered before it.
    end = date.today()
    return {"date_from": (end - timedelta(days=60)).isoformat(), "date_to": end.isoformat()}


def test_demographics_are_counted_and_small_counts_hidden(app: Flask, offices: Offices) -> None:
    period = _period()
    with app.app_context(), tenancy.for_agency(offices.koeln.id):
        people = demographics.demographics(
            offices.koeln, date.fromisoformat(period["date_from"]),
            date.fromisoformat(period["date_to"]),
        )  # fmt: skip
    sections = {s.dimension: s for s in people.sections}
    rows = {d: {r.key: (r.volunteers, r.newcomers) for r in s.rows} for d, s in sections.items()}
    # 21 volunteers (the inactive one not), 18 newcomers (the closed one not).
    assert sections["age_band"].volunteers_total == 21
    assert sections["age_band"].newcomers_total == 18
    # Volunteers by age: 19 aged 36-50 and 2 over 65: the 2 is hidden and so is the 19,
    # else 21 - 19 would give it away. Newcomers: 9 aged 18-25, 9 aged 26-35.
    assert rows["age_band"]["36_50"] == (None, 0)
    assert rows["age_band"]["over_65"] == (None, 0)
    assert rows["age_band"]["18_25"] == (0, 9) and rows["age_band"]["26_35"] == (0, 9)
    # Gender: 8 female, 4 male, 2 diverse, 7 not stated; newcomers' is not recorded.
    assert rows["gender"] == {"female": (8, None), "male": (None, None),
                              "diverse": (None, None), "": (7, None)}  # fmt: skip
    assert not sections["gender"].newcomers_recorded
    # Languages have no total: only the small count goes.
    assert rows["languages"]["ti"] == (None, 0) and rows["languages"]["ar"] == (19, 18)
    assert rows["languages"]["de"] == (21, 18) and sections["languages"].volunteers_total is None
    # Districts: 12, 2, 7 volunteers (the 2 and the 7 hidden), 6, 9, 3 newcomers.
    assert rows["districts"] == {"507": (12, None), "508": (None, 9), "509": (None, None)}
    assert "101" not in rows["districts"]
    # 12 volunteers registered in 2024, 9 in the period.
    assert rows["registered"] == {"new": (9, 18), "earlier": (12, 0)}


def test_the_funder_report_page_and_file_are_the_agencys_own_and_numeric(
    app: Flask, client: FlaskClient, offices: Offices
) -> None:
    login(client, offices.coordinator)
    period = _period()
    page = client.get("/reports/funder", query_string=period)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Integrationshilfe Köln" in html and "Patenschaften Berlin" not in html
    assert '<tr data-key="over_65"><th scope="row">über 65</th><td class="num">–</td>' in html
    assert "101xx" not in html and "nicht erfasst" in html
    response = client.post("/reports/funder.xlsx", data=period)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    report, people = book.worksheets
    assert report.cell(row=2, column=2).value == "Integrationshilfe Köln"
    started = [r for r in report.iter_rows(min_row=2) if r[0].value == "Patenschaften begonnen"]
    assert started and started[0][1].value == "<5"  # the admin's report, unchanged
    cells = {(r[0].value, r[1].value): r for r in people.iter_rows(min_row=2)}
    since, until = cells[("Von", None)][2], cells[("Bis", None)][2]
    assert since.is_date and since.number_format == "DD.MM.YYYY"
    assert since.value.date() == date.fromisoformat(period["date_from"])
    assert until.value.date() == date.fromisoformat(period["date_to"])
    female = cells[("Geschlecht", "weiblich")]
    assert female[2].value == 8 and female[2].data_type == "n"
    assert female[3].value == "nicht erfasst"
    total = cells[("Altersgruppe", "Gesamt")]
    assert (total[2].value, total[3].value) == (21, 18) and total[2].data_type == "n"
    # A hidden count is an empty cell, never a number.
    assert cells[("Altersgruppe", "über 65")][2].value is None
    counts = [c for r in people.iter_rows(min_row=4, min_col=3, max_col=4) for c in r]
    assert all(c.data_type == "n" or c.value in (None, "nicht erfasst") for c in counts)
    assert not any(r[1].value == "101xx" for r in people.iter_rows(min_row=2))
    with inside(app):
        assert (
            db.session.scalar(
                select(AuditEvent.agency_id).where(AuditEvent.action == "export.funder_report")
            )
            == offices.koeln.id
        )


def test_exports_hold_only_the_agencys_people(client: FlaskClient, offices: Offices) -> None:
    login(client, offices.coordinator)
    assert client.get("/reports/exports").status_code == 200
    data = {"kind": "volunteers", "fmt": "xlsx", "delimiter": ";", "status": ""}
    response = client.post("/reports/exports", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 22  # Köln's 22, the inactive one too; none of Berlin's Zoras
    assert not any(c.value == "Zora" for r in rows for c in r)
    assert all(r[0].data_type == "n" for r in rows)  # the numbers are numbers
    headers = [c.value for c in sheet[1]]
    registered = rows[0][headers.index("Angemeldet am")]
    assert registered.is_date and registered.number_format == "DD.MM.YYYY"
    response = client.post("/reports/exports", data={**data, "kind": "newcomers", "fmt": "csv"})
    text = response.data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(table) == 1 + 19 and "Zora" not in text
    assert 'filename="koeln-newcomers' in response.headers["Content-Disposition"]
    # Berlin's coordinator gets Berlin's.
    client.post("/logout")
    login(client, offices.berlin_coordinator)
    response = client.post("/reports/exports", data=data)
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert {r[1].value for r in sheet.iter_rows(min_row=2)} == {"Zora"}


def test_bad_input_is_a_400_and_the_admin_pages_stay_the_admins(
    client: FlaskClient, offices: Offices
) -> None:
    login(client, offices.coordinator)
    reversed_period = {"date_from": "2026-06-01", "date_to": "2026-01-01"}
    assert client.get("/reports/funder", query_string=reversed_period).status_code == 400
    assert client.post("/reports/funder.xlsx", data=reversed_period).status_code == 400
    bad = {"kind": "volunteers", "fmt": "pdf", "delimiter": ";", "status": ""}
    assert client.post("/reports/exports", data=bad).status_code == 400
    wrong_status = {"kind": "volunteers", "fmt": "csv", "delimiter": ";", "status": "ended"}
    assert client.post("/reports/exports", data=wrong_status).status_code == 400
    # The admin's exports of any agency are not the coordinator's.
    assert client.get("/admin/exports").status_code == 403
    assert client.get(f"/admin/figures/report?agency={offices.berlin.id}").status_code == 403
    nav = client.get("/reports/map").get_data(as_text=True)
    for link in ("/reports/exports", "/reports/funder", "/reports/map"):
        assert f'href="{link}"' in nav
