"""Coordinator pages: their own agency's exports, funder report with demographics, and map.

The same services as the admin's exports and funder report, scoped to the agency of the
request by the one tenancy mechanism (`matcher.web.acting`, `matcher.tenancy`): there is no
agency to choose, so there is none to get wrong. Small counts are hidden by the one rule of
`matcher.domain.disclosure`.
"""

from datetime import date

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue

from matcher.labels import (
    AGE_BAND_LABELS,
    DEMOGRAPHIC_FILE_LABELS,
    DEMOGRAPHIC_GROUP_LABELS,
    DEMOGRAPHIC_LABELS,
    GENDER_LABELS,
)
from matcher.models import today
from matcher.services.lists import area_map, demographics, figures, spreadsheet
from matcher.web import acting, common
from matcher.web.admin.exports import _status_choices, download
from matcher.web.admin.figures import _lines, _period
from matcher.web.admin.forms import ExportForm, ReportDownloadForm, ReportForm
from matcher.web.coordinator import bp, shortage_scale
from matcher.web.templating import ui_language_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

bp.add_app_template_global(shortage_scale.colour, "shortage_colour")


class OwnExportForm(ExportForm):
    """The export form without the agency: a coordinator's is the request's."""

    agency = None


class OwnReportForm(ReportForm):
    """The period of the funder report (GET), for the request's agency."""

    agency = None


class OwnReportDownloadForm(ReportDownloadForm):
    """The funder report as XLSX (POST: audited), for the request's agency."""

    agency = None


def _period_of(form: ReportForm | ReportDownloadForm) -> tuple[date, date]:
    """A validated form's period; without dates, from the first of January to today."""
    end = form.date_to.data or max(today(), form.date_from.data or today())
    start = form.date_from.data or end.replace(month=1, day=1)
    form.date_from.data, form.date_to.data = start, end
    return start, end


@bp.route("/reports/exports", methods=["GET", "POST"])
def own_exports() -> ResponseReturnValue:
    """The agency's lists of Patenschaften, volunteers or newcomers, as XLSX or CSV."""
    form = OwnExportForm()
    _status_choices(form.status)
    if not form.is_submitted():
        return render_template("coordinator/reports/exports.html", form=form)
    if form.validate():
        answer = download(form, acting.agency())
        if answer is not None:
            return answer
    return render_template("coordinator/reports/exports.html", form=form), 400


def group_label(dimension: str, key: str) -> str:
    """A group of a figure in words: an age band, a gender, a language, a postcode area."""
    if key in DEMOGRAPHIC_GROUP_LABELS and (key == "" or dimension == "registered"):
        return str(DEMOGRAPHIC_GROUP_LABELS[key])
    if dimension == "age_band":
        return str(AGE_BAND_LABELS.get(key, key))
    if dimension == "gender":
        return str(GENDER_LABELS.get(key, key))
    if dimension == "languages":
        return ui_language_name(key)
    if dimension == "districts":
        return f"{key}xx"
    return key


@bp.get("/reports/funder")
def own_funder_report() -> ResponseReturnValue:
    """The funder report of the agency for a period, and who its people are."""
    form = OwnReportForm(request.args)
    if not form.validate():
        return render_template("coordinator/reports/funder.html", form=form, report=None), 400
    start, end = _period_of(form)
    agency = acting.agency()
    report = figures.funder_report(agency, start, end)
    download = OwnReportDownloadForm(formdata=None, date_from=start, date_to=end)
    return render_template(
        "coordinator/reports/funder.html",
        form=form,
        download=download,
        agency=agency,
        report=report,
        period=_period(report),
        lines=[(label, figures.shown(count)) for label, count in _lines(report)],
        people=demographics.demographics(agency, start, end),
        dimension_labels=DEMOGRAPHIC_LABELS,
        group_label=group_label,
    )


def _demographics_sheet(people: demographics.Demographics) -> spreadsheet.Sheet:
    """The demographics as a sheet: counts as numbers, dates as dates, hidden cells empty."""
    words = DEMOGRAPHIC_FILE_LABELS
    rows: list[list[spreadsheet.Cell]] = [
        [str(words["from"]), "", people.start],
        [str(words["to"]), "", people.end],
    ]
    not_recorded = str(words["not_recorded"])
    for section in people.sections:
        figure = str(DEMOGRAPHIC_LABELS[section.dimension])
        for row in section.rows:
            newcomers: spreadsheet.Cell = (
                row.newcomers if section.newcomers_recorded else not_recorded
            )
            rows.append([figure, group_label(section.dimension, row.key), row.volunteers,
                         newcomers])  # fmt: skip
        if section.with_total:
            newcomers_total: spreadsheet.Cell = (
                section.newcomers_total if section.newcomers_recorded else not_recorded
            )
            rows.append([figure, str(words["total"]), section.volunteers_total,
                         newcomers_total])  # fmt: skip
    rows.append([str(words["hidden"])])
    headers = [str(words[k]) for k in ("figure", "group", "volunteers", "newcomers")]
    return (str(words["title"]), headers, rows)


@bp.post("/reports/funder.xlsx")
def own_funder_report_xlsx() -> ResponseReturnValue:
    """The funder report with the demographics as an Excel file (audited)."""
    form = OwnReportDownloadForm()
    if not form.validate():
        return render_template("coordinator/reports/funder.html", form=form, report=None), 400
    start, end = _period_of(form)
    agency = acting.agency()
    report = figures.funder_report(agency, start, end)
    people = demographics.demographics(agency, start, end)
    data = figures.funder_report_xlsx(
        agency, _period(report), _lines(report), common.actor(),
        more=[_demographics_sheet(people)],
    )  # fmt: skip
    filename = f"{agency.slug}-report-{start.isoformat()}-{end.isoformat()}.xlsx"
    return Response(
        data,
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _map_context() -> dict[str, object]:
    return {
        "drawing": area_map.area_map(acting.agency()),
        "steps": shortage_scale.steps(with_small=False),
        "hidden_colour": shortage_scale.HIDDEN,
    }


@bp.get("/reports/map")
def own_area_map() -> str:
    """Waiting newcomers and free volunteers per postcode area, on a map drawn here."""
    return render_template("coordinator/reports/map.html", **_map_context())


@bp.get("/reports/map.svg")
def own_area_map_svg() -> ResponseReturnValue:
    """The map alone, as an SVG file."""
    svg = render_template("coordinator/reports/_map.svg", standalone=True, **_map_context())
    return Response(svg, mimetype="image/svg+xml")
