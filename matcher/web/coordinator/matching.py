"""The matching workflow: run, review proposals, approve or reject, see who is left over."""

from typing import Any
from urllib.parse import urlencode

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from matcher.models import Match, MatchRun, Volunteer, today
from matcher.services.matching import lifecycle, run, runs, views
from matcher.services.matching import proposals as proposal_table
from matcher.web import acting, common
from matcher.web.coordinator import bp, proposal_rows, run_progress
from matcher.web.coordinator.matching_forms import (
    LIST_ARGS,
    AlternativeForm,
    ApproveForm,
    BackToList,
    BulkApproveForm,
    ProposalFilterForm,
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
        "proposal_pair": lambda m: views.pair(m.volunteer, m.newcomer),
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
def proposals() -> ResponseReturnValue:
    """Review the open proposals: a table to filter, sort and page, details in place."""
    agency = acting.agency()
    requested = common.page_arg()
    form = ProposalFilterForm(request.args)
    valid = form.validate()
    table = proposal_table.table(form.filters(), requested, today()) if valid else None
    list_args = urlencode(
        [(k, v) for k, v in request.args.items(multi=True) if k in LIST_ARGS and v]
    )
    html = render_template(
        "coordinator/matching/proposals.html",
        form=form,
        table=table,
        page=table.page if table else None,
        rows=proposal_rows.views(table.rows, today()) if table else [],
        row_texts=proposal_rows.texts(),
        # Asked for a page past the last one (the list got shorter): show the last, and say so.
        moved_to_last=table is not None and table.page.page != requested,
        sort=form.filters() if valid else proposal_table.Filters(),
        sort_links=_sort_links(form) if valid else {},
        list_args=list_args,
        agency=agency,
        run_form=RunForm(),
        bulk_form=BulkApproveForm(),
        approve_form=ApproveForm(),
        reject_form=RejectForm(),
        last_run=views.latest_run(agency.id),
        current_run=runs.current(agency.id),
    )
    # Filters no one can apply (a score of 500, an unknown order) get their message, 400.
    return html, 200 if valid else 400


def _sort_links(form: ProposalFilterForm) -> dict[str, tuple[str, str]]:
    """Each sortable column's link (the same filters, this order) and its aria-sort."""
    current = form.filters()
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k in LIST_ARGS and v}
    links = {}
    for key in proposal_table.SORT_KEYS:
        if key == current.sort:
            direction = "asc" if current.direction == "desc" else "desc"
            state = "ascending" if current.direction == "asc" else "descending"
        else:
            direction, state = ("desc" if key in ("score", "waiting") else "asc"), "none"
        links[key] = (
            url_for("coordinator.proposals", **{**args, "sort": key, "dir": direction}),
            state,
        )
    return links


def _back(match: Match, form: BackToList) -> tuple[str, dict[str, Any]]:
    """Where a step on a proposal returns to: the person's page it came from, or the table
    with its filters, order and page."""
    if form.person.data == "newcomer":
        return "coordinator.newcomer", {"newcomer_id": match.newcomer_id}
    if form.person.data == "volunteer":
        return "coordinator.volunteer", {"volunteer_id": match.volunteer_id}
    return "coordinator.proposals", form.list_values()


@bp.post("/matching/proposals/<int:match_id>/approve")
def approve(match_id: int) -> ResponseReturnValue:
    """Approve one proposal."""
    match = common.one(Match, match_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    endpoint, values = _back(match, form)
    common.back_to(endpoint, **({} if endpoint == "coordinator.proposals" else values))
    lifecycle.approve([lifecycle.Approval(match.id, form.version.data)], common.actor(), on=today())
    return common.done(
        _("Patenschaft approved. The volunteer has been told by mail."), endpoint, **values
    )


@bp.post("/matching/proposals/approve")
def approve_many() -> ResponseReturnValue:
    """Approve the ticked proposals, or all of the page's; those someone changed since the
    page was loaded are skipped and counted (a double click approves nothing twice)."""
    form = BulkApproveForm()
    common.back_to("coordinator.proposals")
    if not form.validate_on_submit():
        errors = [*form.selected.errors, *form.on_page.errors]
        flash(" ".join(str(e) for e in errors) or _("Invalid selection."), "error")
        return redirect(url_for("coordinator.proposals", **form.list_values()))
    items = [lifecycle.Approval(match_id, version) for match_id, version in form.items()]
    outcome = lifecycle.approve_bulk(items, common.actor(), on=today())
    approved, changed = len(outcome.approved), len(outcome.changed)
    if not changed:
        message = ngettext(
            "%(num)d Patenschaft approved.", "%(num)d Patenschaften approved.", approved
        )
    else:
        message = _(
            "%(approved)s, %(changed)s.",
            approved=ngettext(
                "%(num)d Patenschaft approved", "%(num)d Patenschaften approved", approved
            ),
            changed=ngettext(
                "%(num)d proposal changed meanwhile by someone else (skipped)",
                "%(num)d proposals changed meanwhile by someone else (skipped)",
                changed,
            ),
        )
    flash(message, "success" if approved else "error")
    return redirect(url_for("coordinator.proposals", **form.list_values()))


@bp.post("/matching/proposals/<int:match_id>/reject")
def reject(match_id: int) -> ResponseReturnValue:
    """Reject one proposal with a reason; the pair is not proposed again."""
    match = common.one(Match, match_id)
    form = RejectForm()
    endpoint, values = _back(match, form)
    common.back_to(endpoint, **({} if endpoint == "coordinator.proposals" else values))
    if not form.validate_on_submit():
        flash(_("Please give a reason for rejecting."), "error")
        return redirect(url_for(endpoint, **values))
    lifecycle.reject(match, form.version.data, form.reason.data or "", common.actor(), on=today())
    return common.done(
        _("Proposal rejected. This pair will not be proposed again."), endpoint, **values
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
