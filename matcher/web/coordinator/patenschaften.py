"""Following each Patenschaft: list, detail with history, status steps, check-ins."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matcher.domain import transitions
from matcher.labels import MATCH_STATUS_LABELS, choices
from matcher.models import CheckIn, Match, today
from matcher.services.matching import checkins, lifecycle, views, workqueue
from matcher.web import common
from matcher.web.coordinator import bp
from matcher.web.coordinator.matching_forms import (
    AcknowledgeForm,
    CheckInForm,
    EndForm,
    StatusFilterForm,
    StepForm,
)


@bp.get("/patenschaften")
def patenschaften() -> str:
    """The agency's Patenschaften by status."""
    form = StatusFilterForm(request.args)
    form.status.choices = choices(MATCH_STATUS_LABELS, blank=_l("All running and ended"))
    if request.args.get("status") and not form.validate():
        abort(400)
    page = views.matches(form.status.data or "", common.page_arg())
    return render_template(
        "coordinator/matching/patenschaften.html",
        form=form,
        page=page,
        lights=views.latest_lights([m.id for m in page.items]),
        overdue=workqueue.checkin_states([m.id for m in page.items], today()),
    )


@bp.get("/patenschaften/<int:match_id>")
def patenschaft(match_id: int) -> str:
    """One Patenschaft: both people, its full history and its check-ins (audited)."""
    match = common.one(Match, match_id)
    detail = views.detail(match, common.actor())
    return render_template(
        "coordinator/matching/patenschaft.html",
        detail=detail,
        match=match,
        changes=transitions.changes_from(match),
        step_form=StepForm(formdata=None, version=match.version),
        end_form=EndForm(formdata=None, version=match.version),
        acknowledge_form=AcknowledgeForm(formdata=None),
    )


def _step(match_id: int, change: str) -> ResponseReturnValue:
    match = common.one(Match, match_id)
    common.back_to("coordinator.patenschaft", match_id=match.id)
    form = StepForm()
    if not form.validate_on_submit():
        abort(400)
    actor, version, note = common.actor(), form.version.data, form.note.data or ""
    if change == "activate":
        lifecycle.activate(match, version, actor, on=today())
        message = _("Introduction recorded: the trial phase has begun.")
    elif change == "pause":
        lifecycle.pause(match, version, actor, on=today(), note=note)
        message = _("Patenschaft paused.")
    else:
        lifecycle.resume(match, version, actor, on=today(), note=note)
        message = _("Patenschaft resumed.")
    return common.done(message, "coordinator.patenschaft", match_id=match.id)


@bp.post("/patenschaften/<int:match_id>/activate")
def activate(match_id: int) -> ResponseReturnValue:
    """The introduction took place: start the trial phase."""
    return _step(match_id, "activate")


@bp.post("/patenschaften/<int:match_id>/pause")
def pause(match_id: int) -> ResponseReturnValue:
    """Pause an active Patenschaft."""
    return _step(match_id, "pause")


@bp.post("/patenschaften/<int:match_id>/resume")
def resume(match_id: int) -> ResponseReturnValue:
    """Resume a paused Patenschaft."""
    return _step(match_id, "resume")


@bp.post("/patenschaften/<int:match_id>/end")
def end(match_id: int) -> ResponseReturnValue:
    """End a Patenschaft with a reason."""
    match = common.one(Match, match_id)
    common.back_to("coordinator.patenschaft", match_id=match.id)
    form = EndForm()
    if not form.validate_on_submit():
        flash(_("Please choose a reason."), "error")
        return redirect(url_for("coordinator.patenschaft", match_id=match.id))
    lifecycle.end(
        match,
        form.version.data,
        form.reason.data,
        common.actor(),
        on=today(),
        note=form.note.data or "",
    )
    message = _("Patenschaft ended.")
    if form.reason.data == "no_time" and match.volunteer.status == "paused":
        message = _(
            "Patenschaft ended. The volunteer had no time, so they are paused: "
            "they get no new proposals until someone ends the break."
        )
    return common.done(message, "coordinator.patenschaft", match_id=match.id)


@bp.post("/patenschaften/<int:match_id>/acknowledge")
def acknowledge(match_id: int) -> ResponseReturnValue:
    """The coordinator has seen the Patenschaft's flag (e.g. a withdrawn consent)."""
    match = common.one(Match, match_id)
    if not AcknowledgeForm().validate_on_submit():
        abort(400)
    lifecycle.acknowledge(match, common.actor())
    return common.done(_("Marked as seen."), "coordinator.patenschaft", match_id=match.id)


@bp.route("/checkins/<int:checkin_id>", methods=["GET", "POST"])
def checkin(checkin_id: int) -> ResponseReturnValue:
    """Record a check-in: the day of the conversation, a traffic light and a short note."""
    entry = common.one(CheckIn, checkin_id)
    match = checkins.match_of(entry)
    form = CheckInForm()
    if request.method == "GET":
        checkins.view(entry, common.actor())
        form = CheckInForm(formdata=None, held_on=today())
    elif form.validate_on_submit():
        common.back_to("coordinator.patenschaft", match_id=match.id)
        checkins.record(
            entry,
            form.light.data,
            form.note.data or "",
            form.held_on.data or today(),
            common.actor(),
            on=today(),
        )
        return common.done(
            _("Check-in recorded. The next one is scheduled."),
            "coordinator.patenschaft",
            match_id=match.id,
        )
    status = 400 if request.method == "POST" else 200
    return render_template(
        "coordinator/matching/checkin.html", checkin=entry, match=match, form=form
    ), status


@bp.get("/checkins/overdue")
def overdue() -> str:
    """Check-ins whose date has passed without being recorded."""
    return render_template("coordinator/matching/overdue.html", rows=checkins.overdue(today()))
