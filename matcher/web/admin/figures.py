"""Admin pages: the figures dashboard (charts drawn as inline SVG) and the funder report.

The service counts; this module puts the counts into words and dates into the UI
language's format, for the page and for the report's file alike.
"""

from datetime import date

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _

from matcher.labels import END_REASON_LABELS, WAIT_BUCKET_LABELS
from matcher.models import Agency
from matcher.services.lists import figures
from matcher.web import common
from matcher.web.admin import bp
from matcher.web.admin.charts import horizontal_chart, monthly_chart
from matcher.web.admin.common import agency_choices
from matcher.web.admin.forms import PeriodForm, ReportDownloadForm, ReportForm
from matcher.web.templating import ui_language_name


def _chosen(form: PeriodForm, months: int | None = None) -> tuple[Agency | None, date, date]:
    """The agency and period of a validated form (defaults: the first agency, up to today).

    Without a start, the period covers the last `months` calendar months up to its end,
    or, without `months`, starts on the first of January of its end's year.
    """
    today = date.today()
    end = form.date_to.data or max(today, form.date_from.data or today)
    start = form.date_from.data or (
        figures.first_of_month(end, -(months - 1)) if months else end.replace(month=1, day=1)
    )
    form.date_from.data, form.date_to.data = start, end
    agency = common.one(Agency, form.agency.data) if form.agency.data else None
    return agency, start, end


def _invalid(form: PeriodForm, template: str) -> ResponseReturnValue:
    """The page again with the form's messages (e.g. a period outside 1900–2100): a 400."""
    return render_template(template, form=form, agency=None, report=None), 400


@bp.route("/figures")
def figures_page() -> ResponseReturnValue:
    """Patenschaften per month, waiting times and unmet demand by language, as charts."""
    form = ReportForm(request.args)
    agency_choices(form.agency)
    if not form.agency.choices:
        return render_template("admin/figures.html", form=form, agency=None)
    if not form.validate():
        return _invalid(form, "admin/figures.html")
    # Without dates the dashboard shows a year of months, even in January.
    agency, start, end = _chosen(form, months=12)
    if agency is None:
        abort(404)
    today = date.today()
    # The chart covers the chosen period, up to today.
    months = figures.monthly(agency, start, end, today)
    labels = [format_date(m.first_day, "MMM yy") for m in months]
    monthly = monthly_chart(
        labels,
        [(_("started"), [m.started for m in months]), (_("ended"), [m.ended for m in months])],
        line=(_("running"), [m.active for m in months]),
    )
    waiting = figures.waiting(agency, today)
    waiting_chart = horizontal_chart(
        [(str(WAIT_BUCKET_LABELS[name]), [count]) for name, count in waiting.buckets]
    )
    demand = figures.unmet_demand(agency)
    demand_chart = horizontal_chart(
        [(ui_language_name(d.code), [d.newcomers, d.volunteers]) for d in demand]
    )
    return render_template(
        "admin/figures.html",
        form=form,
        agency=agency,
        start=start,
        end=end,
        months=months,
        months_cut=bool(months) and months[0].first_day > start,
        labels=labels,
        monthly=monthly,
        waiting=waiting,
        waiting_chart=waiting_chart,
        demand=demand,
        demand_chart=demand_chart,
        wait_labels=WAIT_BUCKET_LABELS,
    )


@bp.route("/figures/report")
def funder_report() -> ResponseReturnValue:
    """The funder report for a period: counts below 5 are shown as "<5"."""
    form = ReportForm(request.args)
    agency_choices(form.agency)
    if not form.agency.choices:
        abort(404)
    if not form.validate():
        return _invalid(form, "admin/report.html")
    agency, start, end = _chosen(form)
    if agency is None:
        abort(404)
    report = figures.funder_report(agency, start, end)
    download = ReportDownloadForm(formdata=None, agency=agency.id, date_from=start, date_to=end)
    agency_choices(download.agency)
    return render_template(
        "admin/report.html",
        form=form,
        download=download,
        agency=agency,
        report=report,
        period=_period(report),
        lines=[(label, figures.shown(count)) for label, count in _lines(report)],
    )


@bp.route("/figures/report.xlsx", methods=["POST"])
def funder_report_xlsx() -> ResponseReturnValue:
    """The funder report as an Excel file (audited)."""
    form = ReportDownloadForm()
    agency_choices(form.agency)
    if not form.agency.choices:
        abort(404)
    if not form.validate():
        return _invalid(form, "admin/report.html")
    agency, start, end = _chosen(form)
    if agency is None:
        abort(404)
    report = figures.funder_report(agency, start, end)
    data = figures.funder_report_xlsx(agency, _period(report), _lines(report), common.actor())
    filename = f"{agency.slug}-report-{start.isoformat()}-{end.isoformat()}.xlsx"
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _period(report: figures.FunderReport) -> str:
    """The report's period in the UI language's date format: "01.01.2026 – 30.06.2026"."""
    return f"{format_date(report.start)} – {format_date(report.end)}"


def _lines(report: figures.FunderReport) -> list[tuple[str, int]]:
    """The report as (label, count) lines, before small counts are suppressed."""
    lines = [
        (_("Patenschaften started"), report.started),
        (_("Patenschaften active on %(day)s", day=format_date(report.end)),
         report.active_on_end),
        (_("Patenschaften ended"), report.ended),
    ]  # fmt: skip
    for reason, count in report.ended_by_reason.items():
        label = END_REASON_LABELS.get(reason, reason)
        lines.append((_("ended: %(reason)s", reason=label), count))
    lines.append((_("Volunteers active in the period"), report.volunteers_active))
    return [(str(label), count) for label, count in lines]
