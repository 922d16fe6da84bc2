"""Figures: Patenschaften per month, waiting, unmet demand, the funder report with suppression."""

import io
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
    assert values["Patenschaften begonnen"] == "6"
    assert values["Patenschaften beendet"] == "<5"
    assert "8" in values.values()  # volunteers active
    assert all(v in ("<5", "6", "8") for k, v in values.items() if k not in ("Träger", "Zeitraum"))
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
        months = figures.monthly(agency, today)
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
