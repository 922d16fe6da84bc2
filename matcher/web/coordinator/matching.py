"""The matching workflow: run, review proposals, approve or reject, see who is left over."""

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from matcher.extensions import db
from matcher.models import Agency, Match
from matcher.services.matching import lifecycle
from matcher.services.matching import run as matching
from matcher.services.matching import views as match_views
from matcher.web.coordinator import bp
from matcher.web.coordinator import match_labels as match_labels_module
from matcher.web.coordinator.match_messages import (
    error_message,
    km_text,
    reasons_text,
    slot_text,
    unmatched_text,
)
from matcher.web.coordinator.matching_forms import (
    AlternativeForm,
    ApproveForm,
    BulkApproveForm,
    RejectForm,
    RunForm,
)


@bp.context_processor
def _matching_helpers() -> dict[str, Any]:
    return {
        "match_labels": match_labels_module,
        "reasons_text": reasons_text,
        "unmatched_text": unmatched_text,
        "pair_facts": match_views.pair,
        "slot_label": slot_text,
        "km_text": km_text,
        "matching_overview": _overview,
    }


def _overview() -> dict[str, Any] | None:
    """The dashboard's matching figures, for a coordinator (admins have no agency)."""
    agency = None if current_user.is_admin else current_user.agency
    return match_views.overview(agency) if agency is not None else None


def current_agency() -> Agency:
    """The coordinator's agency; admins work on an agency through its coordinator login."""
    agency = current_user.agency if not current_user.is_admin else None
    if agency is None:
        abort(403)
    return agency  # type: ignore[no-any-return]


def page_arg() -> int:
    """The ?page= argument, or 400."""
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        abort(400)
    return int(page)


def refused(error: lifecycle.LifecycleError, back: str) -> ResponseReturnValue:
    """Answer a refused step with its reason: 409 (reload) for a stale form or a conflict,
    otherwise back to the page with the message."""
    flash(error_message(error), "error")
    if error.status_code == 409:
        return render_template("errors/error.html", code=409), 409
    return redirect(back)


@bp.post("/matching/run")
def run_matching() -> ResponseReturnValue:
    """Run the matching for the agency and show the proposals."""
    agency = current_agency()
    if not RunForm().validate_on_submit():
        abort(400)
    try:
        result = matching.run(agency, current_user._get_current_object())
    except matching.MatchingError as e:
        if str(e) == "conflict":
            abort(409)
        flash(_("The matching could not run: %(error)s", error=str(e)), "error")
        return redirect(url_for("coordinator.dashboard"))
    flash(
        ngettext(
            "%(num)d proposal in %(seconds)s s.",
            "%(num)d proposals in %(seconds)s s.",
            result.pairs,
            seconds=f"{result.seconds or 0:.1f}",
        ),
        "success",
    )
    return redirect(url_for("coordinator.proposals"))


@bp.get("/matching/proposals")
def proposals() -> str:
    """Review the open proposals, side by side, with reasons."""
    agency = current_agency()
    page = match_views.proposals(page_arg())
    return render_template(
        "coordinator/matching/proposals.html",
        page=page,
        agency=agency,
        run_form=RunForm(),
        bulk_form=BulkApproveForm(),
        approve_form=ApproveForm(),
        reject_form=RejectForm(),
        last_run=match_views.latest_run(agency.id),
    )


def _proposal(match_id: int) -> Match:
    """The match, or 404 — before any form is looked at."""
    return db.get_or_404(Match, match_id)


@bp.post("/matching/proposals/<int:match_id>/approve")
def approve(match_id: int) -> ResponseReturnValue:
    """Approve one proposal."""
    _proposal(match_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        lifecycle.approve(match_id, form.version.data, current_user._get_current_object())
    except lifecycle.LifecycleError as e:
        return refused(e, _review_url())
    flash(_("Patenschaft approved. The volunteer has been told."), "success")
    return redirect(_review_url())


def _review_url() -> str:
    page = request.form.get("next_page", "1")
    return url_for("coordinator.proposals", page=int(page) if page.isdigit() else 1)


@bp.post("/matching/proposals/approve")
def approve_many() -> ResponseReturnValue:
    """Approve the checked proposals at once: all of them, or none."""
    current_agency()
    form = BulkApproveForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.selected.errors) or _("Invalid selection."), "error")
        return redirect(url_for("coordinator.proposals"))
    try:
        approved = lifecycle.approve_many(form.items(), current_user._get_current_object())
    except lifecycle.LifecycleError as e:
        return refused(e, _review_url())
    flash(
        ngettext("%(num)d Patenschaft approved.", "%(num)d Patenschaften approved.", len(approved)),
        "success",
    )
    return redirect(url_for("coordinator.proposals"))


@bp.post("/matching/proposals/<int:match_id>/reject")
def reject(match_id: int) -> ResponseReturnValue:
    """Reject one proposal with a reason; the pair is not proposed again."""
    _proposal(match_id)
    form = RejectForm()
    if not form.validate_on_submit():
        flash(_("Please give a reason for rejecting."), "error")
        return redirect(_review_url())
    try:
        lifecycle.reject(
            match_id, form.version.data, form.reason.data or "", current_user._get_current_object()
        )
    except lifecycle.LifecycleError as e:
        return refused(e, _review_url())
    flash(_("Proposal rejected. This pair will not be proposed again."), "success")
    return redirect(_review_url())


@bp.route("/matching/proposals/<int:match_id>/alternatives", methods=["GET", "POST"])
def alternatives(match_id: int) -> ResponseReturnValue:
    """Other volunteers for a proposal's newcomer; pick one instead."""
    match = _proposal(match_id)
    form = AlternativeForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            lifecycle.pick_alternative(
                match_id,
                form.version.data,
                form.volunteer_id.data,
                current_user._get_current_object(),
            )
        except lifecycle.LifecycleError as e:
            return refused(e, url_for("coordinator.alternatives", match_id=match_id))
        flash(_("Another volunteer has been proposed. Please review and approve."), "success")
        return redirect(url_for("coordinator.proposals"))
    agency = db.get_or_404(Agency, match.agency_id)
    options = matching.alternatives(match, agency) if match.status == "proposed" else []
    return render_template(
        "coordinator/matching/alternatives.html", match=match, options=options, form=form
    )


@bp.get("/matching/unmatched")
def unmatched() -> str:
    """Every newcomer the last run left without a volunteer, and why, in plain words."""
    agency = current_agency()
    last_run, rows = match_views.unmatched(agency)
    return render_template("coordinator/matching/unmatched.html", run=last_run, rows=rows)


@bp.get("/matching/shortage")
def shortage() -> str:
    """Unmet demand by language and postcode area: whom to recruit."""
    agency = current_agency()
    return render_template(
        "coordinator/matching/shortage.html", shortage=match_views.shortage(agency)
    )


@bp.get("/matching/runs/<int:run_id>")
def run_detail(run_id: int) -> str:
    """One run: parameters, counts, duration and who started it."""
    matching_run, who = match_views.run_detail(run_id)
    return render_template("coordinator/matching/run.html", run=matching_run, who=who)
