"""Admin pages: importing an existing volunteer or newcomer list (upload, map, check, import).

The import is all or nothing. A file of up to `IMPORT_JOB_ROWS` rows is checked and
imported in the request, in its one transaction, which is committed only when every row
was fine (a refused import answers 400, and the request rolls back). A larger file's dry
run and import are background jobs (`matcher.services.lists.import_jobs`): the page
answers at once and shows the job, which updates itself until its result is there. While
a job of an agency is under way, every dry run or import for that agency shows that job
(one at a time: a double submit never starts a second).
"""

from typing import Any

from flask import current_app, flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from matcher.domain.errors import NotFound, ServiceError
from matcher.models import Agency, ImportJob, User
from matcher.services.lists import import_jobs, imports
from matcher.web import common, messages
from matcher.web.admin import bp, import_progress
from matcher.web.admin.common import agency_choices
from matcher.web.admin.import_forms import UploadForm, mapping_form


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
    upload = imports.upload(token, common.actor())
    kind = upload["kind"]
    agency = common.one(Agency, upload["agency_id"])
    form = mapping_form(kind, upload["headers"], imports.suggest_mapping(kind, upload["headers"]))
    plan = None
    if form.validate_on_submit():
        if upload["rows"] > int(current_app.config["IMPORT_JOB_ROWS"]) or import_jobs.active(
            agency.id
        ):
            return _start_job(token, upload, agency, form.mapping(), dry_run=not form.run.data)
        _meta, table = imports.unstash(token, common.actor())
        if form.run.data:
            plan = imports.run(kind, agency, table, form.mapping(), common.actor())
            if plan.ok:
                imports.discard(token)
                return common.done(_imported(plan), "admin.import_upload")
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
        headers=upload["headers"],
        rows=upload["rows"],
        preview=upload["preview"],
        plan=plan,
        problems=_problems(plan),
        without_consent=_without_consent(kind, plan.without_consent) if plan else "",
        fields=imports.FIELDS[kind],
        background=upload["rows"] > int(current_app.config["IMPORT_JOB_ROWS"]),
    ), status


def _imported(plan: imports.Plan) -> str:
    """What an import did, in words."""
    message = str(_("Imported: %(new)d new, %(existing)d already there.",
                    new=plan.new, existing=plan.existing))  # fmt: skip
    if plan.without_consent:
        message += " " + _without_consent(plan.kind, plan.without_consent)
    return message


def _start_job(
    token: str,
    upload: dict[str, Any],
    agency: Agency,
    mapping: dict[str, int | None],
    *,
    dry_run: bool,
) -> ResponseReturnValue:
    """Queue the dry run or import as a background job (or find the agency's job under
    way) and show its page at once."""
    started = import_jobs.start(
        agency,
        common.actor(),
        token=token,
        upload=upload,
        mapping=mapping,
        dry_run=dry_run,
        locale=str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
    )
    if not started.created:
        flash(_("An import for this agency is already under way: here it is."), "success")
    elif dry_run:
        flash(_("The check has started. It runs in the background; you may leave this page."),
              "success")  # fmt: skip
    else:
        flash(_("The import has started. It runs in the background; you may leave this page."),
              "success")  # fmt: skip
    return redirect(url_for("admin.import_job", job_id=started.job.id))


@bp.get("/imports/jobs/<int:job_id>")
def import_job(job_id: int) -> str:
    """A dry run or import done in the background: its progress while under way (the page
    updates itself), then its result — the problems with their rows, or what was
    imported — or why it failed."""
    job = import_jobs.follow(common.one(ImportJob, job_id))
    plan = import_jobs.plan_of(job) if job.status == "finished" else None
    return render_template(
        "admin/import_job.html",
        job=job,
        agency=common.one(Agency, job.agency_id),
        progress=import_progress.progress(job),
        plan=plan,
        problems=_problems(plan),
        without_consent=_without_consent(job.kind, job.without_consent) if plan else "",
        imported=_imported(plan) if plan is not None and job.imported else "",
        who=common.one(User, job.started_by_id) if job.started_by_id else None,
        upload_kept=_upload_kept(job),
    )


@bp.get("/imports/jobs/<int:job_id>/progress")
def import_job_progress(job_id: int) -> ResponseReturnValue:
    """A job's progress for its page's script (`static/js/run-progress.js`)."""
    state = import_progress.progress(import_jobs.follow(common.one(ImportJob, job_id)))
    return jsonify(
        active=state.active,
        status=state.status,
        value=state.value,
        max=state.maximum,
        text=state.text,
    )


def _upload_kept(job: ImportJob) -> bool:
    """Whether the job's file still waits in the stash for this admin (to change the
    column assignment, or to import after a dry run)."""
    if job.imported or job.active:
        return False
    try:
        imports.upload(job.token, common.actor())
    except NotFound:
        return False
    return True
