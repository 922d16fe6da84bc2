"""The onboarding checklist: the agency's steps (settings) and a volunteer's ticks.

Coordinators of the agency keep its checklist on the agency page: add, rename, choose
whether a step is required before matching, reorder, and remove (a step someone has done
is archived, not deleted). On a volunteer's page they tick a step off, or undo a tick;
each change is audited (`matcher.services.people.onboarding`). Another agency's step or
volunteer is a 404 (`common.one`, scoped to the agency).
"""

from typing import Any, NoReturn

from flask import abort
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from matcher.domain.errors import Invalid
from matcher.models import OnboardingStep, Volunteer
from matcher.models.onboarding import STEP_NAME_MAX, STEP_NOTE_MAX
from matcher.services.people import onboarding
from matcher.web import acting, common
from matcher.web.coordinator import bp
from matcher.web.fields import plain_text


class StepForm(FlaskForm):
    """A step's name, and whether it must be done before the volunteer can be matched."""

    name = StringField(
        _l("Step"),
        validators=[
            DataRequired(_l("Please fill in this field.")),
            Length(max=STEP_NAME_MAX),
            plain_text,
        ],
    )
    required = BooleanField(_l("Required before matching"))
    submit = SubmitField(_l("Save"))


class MoveForm(FlaskForm):
    """Move a step up or down the checklist."""

    direction = HiddenField(validators=[DataRequired(), AnyOf(("up", "down"))])


class TickForm(FlaskForm):
    """Tick a step off, with an optional note."""

    note = StringField(
        _l("Note (optional)"), validators=[Optional(), Length(max=STEP_NOTE_MAX), plain_text]
    )
    submit = SubmitField(_l("Done"))


class ActionForm(FlaskForm):
    """A button that changes something (archive, restore, undo): only the CSRF token."""


def _steps_section() -> dict[str, Any]:
    """What the agency page's checklist section shows."""
    agency = acting.agency()
    every = onboarding.steps(agency, archived=True)
    return {
        "active": [s for s in every if s.archived_at is None],
        "archived": [s for s in every if s.archived_at is not None],
        "add": StepForm(formdata=None),
        "move": MoveForm(formdata=None),
        "action": ActionForm(formdata=None),
    }


def _checklist(volunteer: Volunteer) -> dict[str, Any]:
    """What a volunteer page's checklist section shows."""
    return {
        "lines": onboarding.checklist(volunteer),
        "missing": volunteer.missing_onboarding(),
        "tick": TickForm(formdata=None),
        "action": ActionForm(formdata=None),
    }


bp.add_app_template_global(_steps_section, "onboarding_steps_section")
bp.add_app_template_global(_checklist, "onboarding_checklist")


def _step(step_id: int) -> OnboardingStep:
    return common.one(OnboardingStep, step_id)


def refuse_form(form: FlaskForm) -> NoReturn:
    """Refuse a form that does not validate: 400, its first message shown on the page."""
    for name, errors in form.errors.items():
        for error in errors:
            label = getattr(getattr(form, name, None), "label", None)
            raise Invalid("form_field", field=str(label.text) if label else "", problem=str(error))
    abort(400)


@bp.route("/agency/onboarding", methods=["POST"])
def onboarding_step_add() -> ResponseReturnValue:
    """Add a step at the end of the agency's checklist."""
    common.back_to("coordinator.agency_settings")
    form = StepForm()
    if not form.validate_on_submit():
        refuse_form(form)
    onboarding.add_step(acting.agency(), form.name.data, bool(form.required.data), common.actor())
    return common.done(_("Step added."), "coordinator.agency_settings", _anchor="onboarding")


@bp.route("/agency/onboarding/<int:step_id>", methods=["POST"])
def onboarding_step_change(step_id: int) -> ResponseReturnValue:
    """Rename a step, or change whether it is required before matching."""
    step = _step(step_id)
    common.back_to("coordinator.agency_settings")
    form = StepForm()
    if not form.validate_on_submit():
        refuse_form(form)
    onboarding.change_step(step, form.name.data, bool(form.required.data), common.actor())
    return common.done(_("Step saved."), "coordinator.agency_settings", _anchor="onboarding")


@bp.route("/agency/onboarding/<int:step_id>/move", methods=["POST"])
def onboarding_step_move(step_id: int) -> ResponseReturnValue:
    """Move a step one place up or down."""
    step = _step(step_id)
    common.back_to("coordinator.agency_settings")
    form = MoveForm()
    if not form.validate_on_submit():
        refuse_form(form)
    onboarding.move_step(step, form.direction.data, common.actor())
    return common.done(_("Order saved."), "coordinator.agency_settings", _anchor="onboarding")


@bp.route("/agency/onboarding/<int:step_id>/remove", methods=["POST"])
def onboarding_step_remove(step_id: int) -> ResponseReturnValue:
    """Take a step off the checklist: archived when someone has done it, else deleted."""
    step = _step(step_id)
    common.back_to("coordinator.agency_settings")
    if not ActionForm().validate_on_submit():
        abort(400)
    outcome = onboarding.remove_step(step, common.actor())
    message = (
        _("Step archived: volunteers who did it keep it on record.")
        if outcome == "archived"
        else _("Step removed.")
    )
    return common.done(message, "coordinator.agency_settings", _anchor="onboarding")


@bp.route("/agency/onboarding/<int:step_id>/restore", methods=["POST"])
def onboarding_step_restore(step_id: int) -> ResponseReturnValue:
    """Put an archived step back on the checklist."""
    step = _step(step_id)
    common.back_to("coordinator.agency_settings")
    if not ActionForm().validate_on_submit():
        abort(400)
    onboarding.restore_step(step, common.actor())
    return common.done(_("Step restored."), "coordinator.agency_settings", _anchor="onboarding")


@bp.route("/volunteers/<int:volunteer_id>/onboarding/<int:step_id>", methods=["POST"])
def volunteer_onboarding_tick(volunteer_id: int, step_id: int) -> ResponseReturnValue:
    """Tick a step of the checklist off for a volunteer."""
    volunteer = common.one(Volunteer, volunteer_id)
    step = _step(step_id)
    common.back_to("coordinator.volunteer", volunteer_id=volunteer.id)
    form = TickForm()
    if not form.validate_on_submit():
        refuse_form(form)
    onboarding.tick(volunteer, step, common.actor(), form.note.data or "")
    return common.done(
        _("Done: %(step)s.", step=step.name),
        "coordinator.volunteer",
        volunteer_id=volunteer.id,
        _anchor="onboarding",
    )


@bp.route("/volunteers/<int:volunteer_id>/onboarding/<int:step_id>/undo", methods=["POST"])
def volunteer_onboarding_undo(volunteer_id: int, step_id: int) -> ResponseReturnValue:
    """Take back a tick made by mistake."""
    volunteer = common.one(Volunteer, volunteer_id)
    step = _step(step_id)
    common.back_to("coordinator.volunteer", volunteer_id=volunteer.id)
    if not ActionForm().validate_on_submit():
        abort(400)
    onboarding.undo(volunteer, step, common.actor())
    return common.done(
        _("Tick taken back: %(step)s.", step=step.name),
        "coordinator.volunteer",
        volunteer_id=volunteer.id,
        _anchor="onboarding",
    )
