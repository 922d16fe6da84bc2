"""The matching workflow: run, review proposals, approve or reject, see who is left over."""

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from matcher.models import Match, MatchRun, Volunteer, today
from matcher.services.matching import lifecycle, run, runs, views
from matcher.web import acting, common
from matcher.web.coordinator import bp, run_progress
from matcher.web.coordinator.matching_forms import (
    AlternativeForm,
    ApproveForm,
    BulkApproveForm,
    RejectForm,
    RunForm,
)
from matcher.web.coordinator.reasons import (
    km_text,
    reasons_text,
    slot_text,
    unmatched_text,
)


@bp.context_processor
def _matching_helpers() -> dict[str, Any]:
    """Formatting helpers of the matching pages (no data: the views hand that over)."""
    return {
        "reasons_text": reasons_text,
        "unmatched_text": unmatched_text,
        "slot_label": slot_text,
        "km_text": km_text,
        "run_progress": run_progress.progress,
    }


@bp.post("/matching/run")
def run_matching() -> ResponseReturnValue:
    """Start the matching in the background and show its page at once (one run per agency:
    a second click shows the run under way)."""
    if not RunForm().validate_on_submit():
        abort(400)
    started = runs.start(acting.agency(), common.actor(), on=today())
    if started.created:
        flash(_("The matching has started. It runs in the background; you may leave this page."),
              "success")  # fmt: skip
    else:
        flash(_("A matching run is already under way for your agency: here it is."), "success")
    return redirect(url_for("coordinator.run_detail", run_id=started.run.id))


@bp.get("/matching/proposals")
def proposals() -> str:
    """Review the open proposals, side by side, with reasons."""
    agency = acting.agency()
    page = views.proposals(common.page_arg())
    return render_template(
        "coordinator/matching/proposals.html",
        page=page,
        pairs={m.id: views.pair(m.volunteer, m.newcomer) for m in page.items},
        agency=agency,
        run_form=RunForm(),
        bulk_form=BulkApproveForm(),
        approve_form=ApproveForm(),
        reject_form=RejectForm(),
        last_run=views.latest_run(agency.id),
        current_run=runs.current(agency.id),
    )


@bp.post("/matching/proposals/<int:match_id>/approve")
def approve(match_id: int) -> ResponseReturnValue:
    """Approve one proposal."""
    match = common.one(Match, match_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    common.back_to("coordinator.proposals")
    lifecycle.approve([lifecycle.Approval(match.id, form.version.data)], common.actor(), on=today())
    return common.done(
        _("Patenschaft approved. The volunteer has been told by mail."),
        "coordinator.proposals",
        page=form.page(),
    )


@bp.post("/matching/proposals/approve")
def approve_many() -> ResponseReturnValue:
    """Approve the checked proposals at once: all of them, or none."""
    form = BulkApproveForm()
    common.back_to("coordinator.proposals")
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.selected.errors) or _("Invalid selection."), "error")
        return redirect(url_for("coordinator.proposals", page=form.page()))
    items = [lifecycle.Approval(match_id, version) for match_id, version in form.items()]
    approved = lifecycle.approve(items, common.actor(), on=today())
    return common.done(
        ngettext("%(num)d Patenschaft approved.", "%(num)d Patenschaften approved.", len(approved)),
        "coordinator.proposals",
        page=form.page(),
    )


@bp.post("/matching/proposals/<int:match_id>/reject")
def reject(match_id: int) -> ResponseReturnValue:
    """Reject one proposal with a reason; the pair is not proposed again."""
    match = common.one(Match, match_id)
    form = RejectForm()
    common.back_to("coordinator.proposals")
    if not form.validate_on_submit():
        flash(_("Please give a reason for rejecting."), "error")
        return redirect(url_for("coordinator.proposals", page=form.page()))
    lifecycle.reject(match, form.version.data, form.reason.data or "", common.actor(), on=today())
    return common.done(
        _("Proposal rejected. This pair will not be proposed again."),
        "coordinator.proposals",
        page=form.page(),
    )


@bp.get("/matching/proposals/<int:match_id>/alternatives")
def alternatives(match_id: int) -> str:
    """Other volunteers for a proposal's newcomer (the view is audited)."""
    match = common.one(Match, match_id)
    options = (
        run.alternatives(match, acting.agency(), common.actor(), today())
        if match.status == "proposed"
        else []
    )
    return render_template(
        "coordinator/matching/alternatives.html",
        match=match,
        options=options,
        pairs={o.volunteer.id: views.pair(o.volunteer, match.newcomer) for o in options},
        form=AlternativeForm(formdata=None),
    )


@bp.post("/matching/proposals/<int:match_id>/alternatives")
def pick_alternative(match_id: int) -> ResponseReturnValue:
    """Propose another volunteer instead; later runs keep this choice."""
    match = common.one(Match, match_id)
    form = AlternativeForm()
    if not form.validate_on_submit():
        abort(400)
    common.back_to("coordinator.alternatives", match_id=match.id)
    volunteer = common.one(Volunteer, form.volunteer_id.data)
    lifecycle.pick_alternative(match, form.version.data, volunteer, common.actor(), on=today())
    return common.done(
        _("Another volunteer is proposed now; later runs keep this choice. Please review and "
          "approve."),
        "coordinator.proposals",
    )  # fmt: skip


@bp.get("/matching/unmatched")
def unmatched() -> str:
    """Every newcomer the last run left without a volunteer, and why, in plain words."""
    last_run, rows = views.unmatched(acting.agency(), today())
    return render_template("coordinator/matching/unmatched.html", run=last_run, rows=rows)


@bp.get("/matching/shortage")
def shortage() -> str:
    """Unmet demand by language and postcode area: whom to recruit."""
    return render_template(
        "coordinator/matching/shortage.html", shortage=views.shortage(acting.agency(), today())
    )


@bp.get("/matching/runs/<int:run_id>")
def run_detail(run_id: int) -> str:
    """One run: its progress while under way (the page updates itself), then its counts,
    parameters, duration and who started it — or why it failed."""
    matching_run = runs.follow(common.one(MatchRun, run_id))
    return render_template(
        "coordinator/matching/run.html",
        run=matching_run,
        progress=run_progress.progress(matching_run),
        who=views.started_by(matching_run),
        run_form=RunForm(),
    )


@bp.get("/matching/runs/<int:run_id>/progress")
def run_progress_json(run_id: int) -> ResponseReturnValue:
    """A run's progress for the run page's script (`static/js/run-progress.js`)."""
    state = run_progress.progress(runs.follow(common.one(MatchRun, run_id)))
    return jsonify(
        active=state.active,
        status=state.status,
        value=state.value,
        max=state.maximum,
        text=state.text,
    )
