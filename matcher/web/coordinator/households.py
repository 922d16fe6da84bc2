"""The families a volunteer welcomes, changed by a coordinator on the volunteer's page.

The volunteer says it at sign-up and in their profile; a coordinator records what was
said in the interview. The newcomer's household is part of her intake and edit form.
"""

from flask import abort
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField

from matcher.models import Volunteer
from matcher.services.people import households
from matcher.web import common
from matcher.web.coordinator import bp
from matcher.web.coordinator.onboarding import refuse_form
from matcher.web.household_fields import FamilyOfferFields


class FamilyOfferForm(FamilyOfferFields, FlaskForm):
    """Families welcome, how many people at most, children's ages, in staff's words."""

    submit = SubmitField(_l("Save"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.families_welcome.label.text = _("Families welcome")
        self.max_household.label.text = _("Household up to (people)")
        self.child_age_bands.label.text = _("Children's ages they like to meet")


def _offer_form(volunteer: Volunteer) -> FamilyOfferForm:
    form = FamilyOfferForm(formdata=None)
    form.fill_family(households.offer_of(volunteer))
    return form


bp.add_app_template_global(_offer_form, "family_offer_form")


@bp.route("/volunteers/<int:volunteer_id>/household", methods=["POST"])
def volunteer_household(volunteer_id: int) -> ResponseReturnValue:
    """Record whether the volunteer welcomes families, how large, which children's ages."""
    volunteer = common.one(Volunteer, volunteer_id)
    if volunteer.anonymised_at is not None:
        abort(404)
    common.back_to("coordinator.volunteer", volunteer_id=volunteer.id)
    form = FamilyOfferForm()
    if not form.validate_on_submit():
        refuse_form(form)
    households.change_offer(volunteer, form.family_offer(), common.actor())
    return common.done(
        _("Changes saved."), "coordinator.volunteer", volunteer_id=volunteer.id, _anchor="household"
    )
