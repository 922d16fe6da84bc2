"""Pin a pair or forbid it for good (issue 13), and the agency's list of such rules.

Buttons: "Diese Person fest zuordnen" (pin) and "Dieses Paar nie vorschlagen" (forbid,
with a required reason) on a proposal's alternatives and on the newcomer's page; the list
with "Aufheben" (undo) at /matching/rules. Another agency's people or rules are a 404.
"""

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from matcher.models import Match, Newcomer, PairRule, Volunteer, today
from matcher.services.matching import pair_rules
from matcher.web import acting, common
from matcher.web.coordinator import bp
from matcher.web.coordinator.pair_rule_forms import ForbidForm, PinForm, UndoRuleForm
from matcher.web.safety import safe_next


@dataclass(frozen=True)
class Panel:
    """What the newcomer page's section on pinned and forbidden pairs shows."""

    rules: list[PairRule]
    proposal: Match | None
    pin: PinForm
    forbid: ForbidForm
    undo: UndoRuleForm


def _panel(newcomer: Newcomer) -> Panel:
    return Panel(
        rules=pair_rules.of_newcomer(newcomer),
        proposal=pair_rules.open_proposal(newcomer),
        pin=PinForm(formdata=None),
        forbid=ForbidForm(formdata=None),
        undo=UndoRuleForm(formdata=None),
    )


@bp.context_processor
def _pair_rule_helpers() -> dict[str, Any]:
    """The newcomer page's pin/forbid section (`_pair_rules.html`) and the buttons'
    forms (`_pair_rule_buttons.html`)."""
    return {
        "pair_rule_panel": _panel,
        "pair_rule_forms": lambda: (PinForm(formdata=None), ForbidForm(formdata=None)),
    }


def _people(form: PinForm | ForbidForm) -> tuple[Volunteer, Newcomer]:
    # Tenant-scoped loads: another agency's volunteer or newcomer is a 404.
    return common.one(Volunteer, form.volunteer_id.data), common.one(
        Newcomer, form.newcomer_id.data
    )


def _back(form: PinForm | ForbidForm, newcomer: Newcomer) -> ResponseReturnValue:
    return redirect(
        safe_next(form.next.data) or url_for("coordinator.newcomer", newcomer_id=newcomer.id)
    )


@bp.post("/matching/pairs/pin")
def pin_pair() -> ResponseReturnValue:
    """Pin a volunteer to a newcomer: her proposal now, and in every later run."""
    form = PinForm()
    if not form.validate_on_submit():
        abort(400)
    volunteer, newcomer = _people(form)
    common.back_to("coordinator.pair_rules_list")
    pair_rules.pin(volunteer, newcomer, form.reason.data or "", common.actor(), on=today())
    flash(_("%(volunteer)s is now pinned to %(newcomer)s: proposed now and in every later run.",
            volunteer=volunteer.full_name, newcomer=newcomer.first_name), "success")  # fmt: skip
    return _back(form, newcomer)


@bp.post("/matching/pairs/forbid")
def forbid_pair() -> ResponseReturnValue:
    """Forbid a pair for good, with a reason."""
    form = ForbidForm()
    if not form.validate_on_submit():
        if set(form.errors) == {"reason"}:
            message = _("Please give a reason why this pair must never be proposed.")
            return render_template("errors/error.html", code=400, message=message), 400
        abort(400)
    volunteer, newcomer = _people(form)
    common.back_to("coordinator.pair_rules_list")
    pair_rules.forbid(volunteer, newcomer, form.reason.data or "", common.actor())
    flash(_("%(volunteer)s and %(newcomer)s will never be proposed together.",
            volunteer=volunteer.full_name, newcomer=newcomer.first_name), "success")  # fmt: skip
    return _back(form, newcomer)


@bp.get("/matching/rules")
def pair_rules_list() -> str:
    """The agency's pinned and forbidden pairs, each with "undo"."""
    return render_template(
        "coordinator/matching/pair_rules.html",
        rules=pair_rules.rules(acting.agency().id),
        form=UndoRuleForm(formdata=None),
    )


@bp.post("/matching/rules/<int:rule_id>/undo")
def undo_pair_rule(rule_id: int) -> ResponseReturnValue:
    """Lift a pin or a ban (audited)."""
    rule = common.one(PairRule, rule_id)
    if not UndoRuleForm().validate_on_submit():
        abort(400)
    pair_rules.undo(rule, common.actor())
    message = _("The pin is lifted.") if rule.kind == "pin" else _("The ban is lifted.")
    return common.done(message, "coordinator.pair_rules_list")
