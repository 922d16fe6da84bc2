"""Admin pages: importing an existing volunteer or newcomer list (upload, map, check, import).

The import is all or nothing: it runs in the request's one transaction, which is committed
only when every row was fine (a refused import answers 400, and the request rolls back).
"""

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from matcher.domain.errors import ServiceError
from matcher.models import Agency
from matcher.services.lists import imports
from matcher.web import common, messages
from matcher.web.admin import bp
from matcher.web.admin.common import agency_choices
from matcher.web.admin.import_forms import UploadForm, mapping_form

PREVIEW_ROWS = 5


def _without_consent(kind: str, count: int) -> str:
    """How many of the new people still need their consent before they can be matched."""
    if kind == "volunteers":
        return str(
            ngettext(
                "%(num)d new volunteer has no consent yet: imported as “applied”, waiting for the "
                "interview, and matched only once the consent is recorded.",
                "%(num)d new volunteers have no consent yet: imported as “applied”, waiting for "
                "the interview, and matched only once the consent is recorded.",
                count,
            )
        )
    return str(
        ngettext(
            "%(num)d new newcomer has no consent yet: imported, but matched only once the consent "
            "is recorded.",
            "%(num)d new newcomers have no consent yet: imported, but matched only once the "
            "consent is recorded.",
            count,
        )
    )


def _problems(plan: imports.Plan | None) -> list[tuple[int, str, str]]:
    """Each problem of a checked file as (row, column, what is wrong in words)."""
    if plan is None:
        return []
    return [(e.row, e.column, messages.cell_text(e.code, e.params)) for e in plan.errors]


@bp.route("/imports", methods=["GET", "POST"])
def import_upload() -> ResponseReturnValue:
    """Upload a CSV or XLSX file; then assign its columns."""
    form = UploadForm()
    agency_choices(form.agency)
    if form.validate_on_submit():
        agency = common.one(Agency, form.agency.data)
        upload = form.file.data
        try:
            token = imports.stash(
                upload.filename or "", upload.read(), form.kind.data, agency, common.actor()
            )
        except ServiceError as e:
            form.file.errors.append(messages.text(e))
        else:
            return redirect(url_for("admin.import_mapping", token=token))
    status = 400 if form.errors else 200
    return render_template("admin/import_upload.html", form=form), status


@bp.route("/imports/<token>", methods=["GET", "POST"])
def import_mapping(token: str) -> ResponseReturnValue:
    """Assign the file's columns, check every row (dry run), then import all or nothing."""
    # Another admin's upload, or one removed after a day, is a 404 with its message.
    meta, table = imports.unstash(token, common.actor())
    kind = meta["kind"]
    agency = common.one(Agency, meta["agency_id"])
    form = mapping_form(kind, table.headers, imports.suggest_mapping(kind, table.headers))
    plan = None
    if form.validate_on_submit():
        if form.run.data:
            plan = imports.run(kind, agency, table, form.mapping(), common.actor())
            if plan.ok:
                imports.discard(token)
                message = _("Imported: %(new)d new, %(existing)d already there.",
                            new=plan.new, existing=plan.existing)  # fmt: skip
                if plan.without_consent:
                    message += " " + _without_consent(kind, plan.without_consent)
                return common.done(message, "admin.import_upload")
            flash(_("Nothing was imported: please correct the rows listed below."), "error")
        else:
            plan = imports.check(kind, agency, table, form.mapping())
    # A dry run that finds errors did its job (200); a refused import is a 400.
    status = 400 if form.errors or (form.run.data and plan is not None and not plan.ok) else 200
    return render_template(
        "admin/import_mapping.html",
        form=form,
        kind=kind,
        agency=agency,
        table=table,
        preview=table.rows[:PREVIEW_ROWS],
        plan=plan,
        problems=_problems(plan),
        without_consent=_without_consent(kind, plan.without_consent) if plan else "",
        fields=imports.FIELDS[kind],
    ), status
