"""Figures: Patenschaften per month, waiting, unmet demand, the funder report with suppression."""

import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import AuditEvent, Match
from matcher.services.lists import figures
from tests.conftest import inside, login


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _matches(app: Flask, agency: Any, volunteers: list[Any], newcomers: list[Any],
             rows: list[dict[str, Any]]) -> None:  # fmt: skip
    with inside(app):
        for v, n, values in zip(volunteers, newcomers, rows):
            db.session.add(
                Match(agency_id=agency.id, volunteer_id=v.id, newcomer_id=n.id, **values)
            )
        db.session.commit()


def test_funder_report_counts_and_suppresses_small_numbers(
    app: Flask, client: FlaskClient, make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency()
    volunteers = [make_volunteer(agency) for _ in range(9)]
    newcomers = [make_newcomer(agency) for _ in range(9)]
    q1 = [date(2026, 1, 10) + timedelta(days=i) for i in range(6)]
    rows = [{"status": "active", "started_at": _at(d), "proposed_at": _at(d)} for d in q1]
    rows += [
        {"status": "ended", "end_reason": "moved_away", "proposed_at": _at(date(2025, 5, 1)),
         "started_at": _at(date(2025, 5, 2)), "ended_at": _at(date(2026, 2, 1))},
        {"status": "ended", "end_reason": "conflict", "proposed_at": _at(date(2025, 5, 1)),
         "started_at": _at(date(2025, 5, 2)), "ended_at": _at(date(2026, 2, 2))},
        {"status": "proposed", "proposed_at": _at(date(2026, 3, 1))},
    ]  # fmt: skip
    _matches(app, agency, volunteers, newcomers, rows)
    with inside(app):
        report = figures.funder_report(agency, date(2026, 1, 1), date(2026, 3, 31))
    assert report.started == 6 and report.active_on_end == 6 and report.ended == 2
    assert report.ended_by_reason["moved_away"] == 1 and report.volunteers_active == 8
    assert figures.shown(4) == "<5" and figures.shown(5) == "5" and figures.shown(0) == "<5"

    login(client, make_user("admin"))
    query = f"agency={agency.id}&date_from=2026-01-01&date_to=2026-03-31"
    page = client.get(f"/admin/figures/report?{query}").get_data(as_text=True)
    assert ">6</td>" in page and "&lt;5" in page
    response = client.post("/admin/figures/report.xlsx",
                           data={"agency": str(agency.id), "date_from": "2026-01-01",
                                 "date_to": "2026-03-31"})  # fmt: skip
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["Patenschaften begonnen"] == 6
    assert values["Patenschaften beendet"] == "<5"
    assert 8 in values.values()  # volunteers active
    assert all(v in ("<5", 6, 8) for k, v in values.items() if k not in ("Träger", "Zeitraum"))
    with inside(app):
        assert db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "export.funder_report")
        )
    assert (
        client.get(
            f"/admin/figures/report?agency={agency.id}&date_from=2026-04-01&date_to=2026-01-01"
        ).status_code
        == 400
    )


def test_monthly_series_waiting_and_unmet_demand(
    app: Flask, client: FlaskClient, make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency()
    today = date.today()
    this_month = today.replace(day=1)
    volunteers = [make_volunteer(agency, languages={"de": "native", "fa": "good"})]
    newcomers = [make_newcomer(agency, status="matched", waiting_since=today - timedelta(days=40))]
    newcomers += [make_newcomer(agency, languages={"ti": "native"}, waiting_since=today - timedelta(days=d))
                  for d in (5, 100, 400)]  # fmt: skip
    _matches(
        app,
        agency,
        volunteers,
        newcomers[:1],
        [{"status": "active", "started_at": _at(this_month), "proposed_at": _at(this_month)}],
    )
    with inside(app):
        year, month = divmod(today.year * 12 + today.month - 1 - 11, 12)
        months = figures.monthly(agency, date(year, month + 1, 1), today, today)
        assert len(months) == 12 and months[-1].first_day == this_month
        assert months[-1].started == 1 and months[-1].active == 1 and months[-2].active == 0
        waiting = figures.waiting(agency, today)
        assert waiting.waiting == 3 and dict(waiting.buckets) == {
            "under_1": 1, "1_3": 0, "3_6": 1, "6_12": 0, "over_12": 1}  # fmt: skip
        assert waiting.median_days_to_start is not None
        demand = figures.unmet_demand(agency)
        assert demand[0].code == "ti" and demand[0].newcomers == 3 and demand[0].volunteers == 0
    login(client, make_user("admin"))
    page = client.get(f"/admin/figures?agency={agency.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('<svg class="chart"') == 3 and "<script" not in html
    assert "Tigrinya" in html


def test_figures_without_agencies_say_so(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    login(client, make_user("admin"))
    response = client.get("/admin/figures")
    assert response.status_code == 200 and "Noch keine Träger" in response.get_data(as_text=True)


def _table_rows(html: str) -> list[tuple[str, int, int, int]]:
    """The rows of the monthly chart's "As a table": (month, started, ended, running)."""
    body = html.split("<details>", 1)[1].split("</details>", 1)[0]
    cells = re.findall(r"<tr><td>([^<]*)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>", body)
    return [(month, int(s), int(e), int(r)) for month, s, e, r in cells]


def test_walk_b5_the_monthly_chart_follows_from_and_to(
    app: Flask, client: FlaskClient, make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency()
    volunteers = [make_volunteer(agency) for _ in range(3)]
    newcomers = [make_newcomer(agency) for _ in range(3)]
    _matches(app, agency, volunteers, newcomers, [
        {"status": "ended", "end_reason": "no_time", "proposed_at": _at(date(2025, 1, 20)),
         "started_at": _at(date(2025, 2, 3)), "ended_at": _at(date(2025, 4, 10))},
        {"status": "active", "proposed_at": _at(date(2025, 5, 1)),
         "started_at": _at(date(2025, 5, 20))},
        {"status": "active", "proposed_at": _at(date(2025, 6, 25)),
         "started_at": _at(date(2025, 7, 1))},
    ])  # fmt: skip
    login(client, make_user("admin"))
    url = f"/admin/figures?agency={agency.id}&date_from=2025-01-01&date_to=2025-06-30"
    html = client.get(url).get_data(as_text=True)
    rows = _table_rows(html)
    assert [month for month, *_counts in rows] == [
        "Jan. 25", "Feb. 25", "März 25", "Apr. 25", "Mai 25", "Juni 25"]  # fmt: skip
    assert [counts for _month, *counts in rows] == [
        [0, 0, 0], [1, 0, 1], [0, 0, 1], [0, 1, 0], [1, 0, 1], [0, 0, 1]]  # fmt: skip
    # The chart draws the same months.
    chart = html.split('<svg class="chart"', 2)[1]
    assert "Jan. 25" in chart and "Juni 25" in chart and "Juli 25" not in chart
    # A period that starts mid-month counts only its days; "running" stops at its end.
    html = client.get(f"/admin/figures?agency={agency.id}&date_from=2025-04-15&date_to=2025-05-10")
    assert _table_rows(html.get_data(as_text=True)) == [("Apr. 25", 0, 0, 0), ("Mai 25", 0, 0, 0)]
    # A long period shows its last 36 months, and says so.
    html = client.get(f"/admin/figures?agency={agency.id}&date_from=1990-01-01&date_to=2025-12-31")
    text = html.get_data(as_text=True)
    rows = _table_rows(text)
    assert len(rows) == 36 and rows[0][0] == "Jan. 23" and rows[-1][0] == "Dez. 25"
    assert "die letzten 36 Monate des Zeitraums" in text
    with inside(app):
        months = figures.monthly(agency, date(2025, 6, 1), date(2025, 12, 31), date(2025, 7, 15))
    assert [m.first_day.month for m in months] == [6, 7]  # never beyond today
    # Without dates: the last twelve months up to today, and the filter says so.
    html = client.get(f"/admin/figures?agency={agency.id}").get_data(as_text=True)
    rows = _table_rows(html)
    first = figures.first_of_month(date.today(), -11)
    assert len(rows) == 12 and f'name="date_from" type="date" value="{first.isoformat()}"' in html


def test_feat_b14_an_invalid_period_on_the_figures_page_shows_its_message(
    client: FlaskClient, make_agency: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    agency = make_agency()
    login(client, make_user("admin"))
    for page in ("/admin/figures", "/admin/figures/report"):
        response = client.get(f"{page}?agency={agency.id}&date_from=2026-04-01&date_to=2026-01-01")
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "Das Ende liegt vor dem Beginn." in html and 'aria-invalid="true"' in html
        assert 'name="date_from"' in html  # the filter is there to correct it


def test_feat_b13_funder_report_counts_are_numbers_and_suppressed_cells_text(
    app: Flask, client: FlaskClient, make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency()
    volunteers = [make_volunteer(agency) for _ in range(7)]
    newcomers = [make_newcomer(agency) for _ in range(7)]
    _matches(app, agency, volunteers, newcomers, [
        {"status": "active", "proposed_at": _at(date(2026, 2, 1)),
         "started_at": _at(date(2026, 2, 1 + i))} for i in range(7)
    ])  # fmt: skip
    login(client, make_user("admin"))
    response = client.post("/admin/figures/report.xlsx", data={
        "agency": str(agency.id), "date_from": "2026-01-01", "date_to": "2026-06-30"})  # fmt: skip
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    started = cells["Patenschaften begonnen"]
    assert started.value == 7 and started.data_type == "n"
    assert cells["Laufende Patenschaften am 30.06.2026"].value == 7
    ended = cells["Patenschaften beendet"]
    assert ended.value == "<5" and ended.data_type == "s"
    assert sheet.auto_filter.ref == "A1:B14"


def test_walk_4_funder_report_dates_are_german_on_the_page_and_in_the_xlsx(
    client: FlaskClient, make_agency: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    agency = make_agency(name="Testagentur Bonn")
    login(client, make_user("admin"))
    page = client.get(f"/admin/figures/report?agency={agency.id}&date_from=2026-01-01"
                      "&date_to=2026-11-29").get_data(as_text=True)  # fmt: skip
    heading = re.search(r"</h1>\s*<p>([^<]*)</p>", page)
    assert heading and heading.group(1) == "Testagentur Bonn · 01.01.2026 – 29.11.2026"
    assert "Laufende Patenschaften am 29.11.2026" in page
    response = client.post("/admin/figures/report.xlsx", data={
        "agency": str(agency.id), "date_from": "2026-01-01", "date_to": "2026-11-29"})  # fmt: skip
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["Zeitraum"] == "01.01.2026 – 29.11.2026"
    assert "Laufende Patenschaften am 29.11.2026" in values
