"""Following each Patenschaft: list, detail with history, status steps, check-ins."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from matcher.extensions import db
from matcher.models import Match
from matcher.services.matching import checkins, lifecycle
from matcher.services.matching import views as match_views
from matcher.web.coordinator import bp
from matcher.web.coordinator.match_labels import MATCH_STATUS_LABELS
from matcher.web.coordinator.matching import page_arg, refused
from matcher.web.coordinator.matching_forms import (
    CheckInForm,
    EndForm,
    StatusFilterForm,
    StepForm,
)
from matcher.web.labels import choices


@bp.get("/patenschaften")
def patenschaften() -> str:
    """The agency's Patenschaften by status."""
    form = StatusFilterForm(request.args)
    form.status.choices = choices(MATCH_STATUS_LABELS, blank=_l("All running and ended"))
    if request.args.get("status") and not form.validate():
        abort(400)
    page = match_views.matches(form.status.data or "", page_arg())
    return render_template("coordinator/matching/patenschaften.html", form=form, page=page)


@bp.get("/patenschaften/<int:match_id>")
def patenschaft(match_id: int) -> str:
    """One Patenschaft: both people, its full history and its check-ins."""
    detail = match_views.detail(match_id)
    match = detail.match
    return render_template(
        "coordinator/matching/patenschaft.html",
        d=detail,
        m=match,
        step_form=StepForm(formdata=None, version=match.version),
        end_form=EndForm(formdata=None, version=match.version),
    )


def _back(match_id: int) -> str:
    return url_for("coordinator.patenschaft", match_id=match_id)


def _step(match_id: int, action: str) -> ResponseReturnValue:
    db.get_or_404(Match, match_id)
    form = StepForm()
    if not form.validate_on_submit():
        abort(400)
    actor = current_user._get_current_object()
    version, note = form.version.data, form.note.data or ""
    try:
        if action == "activate":
            lifecycle.activate(match_id, version, actor)
        elif action == "pause":
            lifecycle.pause(match_id, version, actor, note)
        else:
            lifecycle.resume(match_id, version, actor, note)
    except lifecycle.LifecycleError as e:
        return refused(e, _back(match_id))
    messages = {
        "activate": _("Introduction recorded: the trial phase has begun."),
        "pause": _("Patenschaft paused."),
        "resume": _("Patenschaft resumed."),
    }
    flash(messages[action], "success")
    return redirect(_back(match_id))


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
    db.get_or_404(Match, match_id)
    form = EndForm()
    if not form.validate_on_submit():
        flash(_("Please choose a reason."), "error")
        return redirect(_back(match_id))
    try:
        lifecycle.end(
            match_id,
            form.version.data,
            form.reason.data,
            current_user._get_current_object(),
            form.note.data or "",
        )
    except lifecycle.LifecycleError as e:
        return refused(e, _back(match_id))
    flash(_("Patenschaft ended."), "success")
    return redirect(_back(match_id))


@bp.route("/checkins/<int:checkin_id>", methods=["GET", "POST"])
def checkin(checkin_id: int) -> ResponseReturnValue:
    """Record a check-in with a traffic light and a short note."""
    entry, match = checkins.view(checkin_id)
    form = CheckInForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                checkins.record(
                    checkin_id,
                    form.light.data,
                    form.note.data or "",
                    current_user._get_current_object(),
                )
            except lifecycle.LifecycleError as e:
                return refused(e, url_for("coordinator.checkin", checkin_id=checkin_id))
            flash(_("Check-in recorded. The next one is scheduled."), "success")
            return redirect(_back(match.id))
        status = 400
    else:
        status = 200
    return render_template("coordinator/matching/checkin.html", c=entry, m=match, form=form), status


@bp.get("/checkins/overdue")
def overdue() -> str:
    """Check-ins whose date has passed without being recorded."""
    return render_template("coordinator/matching/overdue.html", rows=checkins.overdue())
