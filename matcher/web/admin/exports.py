"""Admin pages: exporting match, volunteer and newcomer lists as XLSX or CSV."""

from typing import Any

from flask import Response, render_template
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from wtforms import SelectChoice, SelectField

from matcher.domain.errors import ServiceError
from matcher.labels import (
    LIST_LABELS,
    MATCH_STATUS_LABELS,
    NEWCOMER_STATUS_LABELS,
    VOLUNTEER_STATUS_LABELS,
)
from matcher.models import Agency
from matcher.services.lists import exports
from matcher.web import common, messages
from matcher.web.admin import bp
from matcher.web.admin.common import agency_choices
from matcher.web.admin.forms import ExportForm


def _status_choices(field: SelectField) -> None:
    """The blank "all" first, then each list's statuses under its name (one may be in several)."""
    groups = (
        (LIST_LABELS["matches"], MATCH_STATUS_LABELS),
        (LIST_LABELS["volunteers"], VOLUNTEER_STATUS_LABELS),
        (LIST_LABELS["newcomers"], NEWCOMER_STATUS_LABELS),
    )
    field.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(key, str(label), optgroup=str(group))
        for group, labels in groups
        for key, label in labels.items()
    ]


@bp.route("/exports", methods=["GET", "POST"])
def exports_page() -> ResponseReturnValue:
    """Choose a list, filters and a format; the download button posts here."""
    form = ExportForm()
    agency_choices(form.agency)
    _status_choices(form.status)
    if not form.is_submitted():
        return render_template("admin/exports.html", form=form)
    if form.validate():
        answer = download(form, common.one(Agency, form.agency.data))
        if answer is not None:
            return answer
    return render_template("admin/exports.html", form=form), 400


def download(form: Any, agency: Agency) -> Response | None:
    """The file an export form asks for, of this agency; None with the reason at the status
    field when the service refuses (the form offers every list's statuses; the service
    knows which fit the list). The admin's page and the coordinator's own page share it."""
    wanted = exports.ExportRequest(
        kind=form.kind.data,
        agency=agency,
        fmt=form.fmt.data,
        status=form.status.data or "",
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        pseudonymised=bool(form.pseudonymised.data),
        delimiter=form.delimiter.data,
        locale=str(get_locale() or "de"),
    )
    try:
        result = exports.export(wanted, common.actor())
    except ServiceError as e:
        form.status.errors.append(messages.text(e))
        return None
    return Response(
        result.data,
        mimetype=result.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{result.filename}"'},
    )
