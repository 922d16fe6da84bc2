"""Messages to copy for a newcomer: from her page, or from her Patenschaft's page.

The coordinator picks a message and types the few details it needs; the page shows it in
the newcomer's correspondence language with the German beside it, to copy into an SMS or
WhatsApp, or to read out. Nothing is stored or sent: the page only prepares the text.
"""

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from matcher.domain.errors import Invalid
from matcher.models import Match, Newcomer
from matcher.services.people import contact_messages
from matcher.web import common, messages
from matcher.web.coordinator import bp
from matcher.web.coordinator.forms import REQUIRED, MessageForm


def _page(newcomer: Newcomer, match: Match | None, action: str) -> ResponseReturnValue:
    volunteer = contact_messages.volunteer_of(match)
    form = MessageForm()
    if request.method == "GET" and request.args.get("template") in contact_messages.TEMPLATES:
        form.template.data = request.args["template"]
    prepared, status = None, 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            details = contact_messages.Details(
                date=form.date.data,
                daypart=form.daypart.data or None,
                time=form.time.data,
                place=(form.place.data or "").strip(),
            )
            try:
                prepared = contact_messages.prepare(
                    form.template.data, newcomer, volunteer, details
                )
                status = 200
            except Invalid as e:  # what the chosen message needs: said at its field
                field = form._fields.get(str(e.params.get("field", "")))
                if e.code == "bad_details" and field is not None:
                    field.errors = [str(REQUIRED)]
                else:
                    form.template.errors = [messages.text(e)]
    return render_template(
        "coordinator/messages.html",
        n=newcomer,
        match=match,
        volunteer=volunteer,
        form=form,
        action=action,
        prepared=prepared,
        templates=contact_messages.TEMPLATES,
    ), status


@bp.route("/newcomers/<int:newcomer_id>/messages", methods=["GET", "POST"])
def newcomer_messages(newcomer_id: int) -> ResponseReturnValue:
    """Prepare a message for a newcomer; the volunteer is her current Patenschaft's."""
    n = common.one(Newcomer, newcomer_id)
    if n.anonymised_at is not None:
        abort(404)
    match = contact_messages.current_match(n)
    return _page(n, match, "coordinator.newcomer_messages")


@bp.route("/patenschaften/<int:match_id>/messages", methods=["GET", "POST"])
def patenschaft_messages(match_id: int) -> ResponseReturnValue:
    """Prepare a message for the newcomer of a Patenschaft, naming its volunteer."""
    match = common.one(Match, match_id)
    if match.newcomer.anonymised_at is not None:
        abort(404)
    return _page(match.newcomer, match, "coordinator.patenschaft_messages")
