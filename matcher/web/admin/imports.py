"""Admin pages: importing an existing volunteer or newcomer list (upload, map, check, import)."""

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from matcher.models import Agency
from matcher.services.lists import imports
from matcher.web import common
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
                upload.filename or "", upload.read(), form.kind.data, agency, current_user
            )
        except imports.ImportError_ as e:
            form.file.errors.append(str(e))
        else:
            return redirect(url_for("admin.import_mapping", token=token), 303)
    status = 400 if form.errors else 200
    return render_template("admin/import_upload.html", form=form), status


@bp.route("/imports/<token>", methods=["GET", "POST"])
def import_mapping(token: str) -> ResponseReturnValue:
    """Assign the file's columns, check every row (dry run), then import all or nothing."""
    try:
        meta, table = imports.unstash(token, current_user)
    except imports.ImportError_:
        abort(404)
    kind = meta["kind"]
    agency = common.one(Agency, meta["agency_id"])
    form = mapping_form(kind, table.headers, imports.suggest_mapping(kind, table.headers))
    plan = None
    if form.validate_on_submit():
        if form.run.data:
            plan = imports.run(kind, agency, table, form.mapping(), current_user)
            if plan.ok:
                imports.discard(token)
                flash(
                    _("Imported: %(new)d new, %(existing)d already there.",
                      new=plan.new, existing=plan.existing),
                    "success",
                )  # fmt: skip
                if plan.without_consent:
                    flash(_without_consent(kind, plan.without_consent), "info")
                return redirect(url_for("admin.import_upload"), 303)
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
        without_consent=_without_consent(kind, plan.without_consent) if plan else "",
        fields=imports.FIELDS[kind],
    ), status
