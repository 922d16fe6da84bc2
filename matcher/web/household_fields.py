"""The family offer a volunteer makes at sign-up and keeps up to date in their profile.

Shared by the sign-up and the self-service profile (`VolunteerOfferForm`), so both ask in
the same words; the service (`matcher.services.people.households`) checks it again.
"""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, IntegerField
from wtforms.validators import NumberRange, Optional, ValidationError

from matcher.domain.vocab import HOUSEHOLD_SIZE_MAX
from matcher.labels import CHILD_AGE_BAND_LABELS, choices
from matcher.services.people.households import FamilyOffer
from matcher.web.fields import MultiCheckboxField


class FamilyOfferFields:
    """Families welcome, how many people at most, the children's ages they like to meet."""

    families_welcome = BooleanField(_l("I would also like to accompany a family."))
    max_household = IntegerField(
        _l("At most how many people in the family? (optional)"),
        validators=[
            Optional(),
            NumberRange(
                2,
                HOUSEHOLD_SIZE_MAX,
                _l("Please enter a number from 2 to %(max)d.", max=HOUSEHOLD_SIZE_MAX),
            ),
        ],
    )
    child_age_bands = MultiCheckboxField(
        _l("Children's ages I would like to meet (optional)"),
        choices=lambda: choices(CHILD_AGE_BAND_LABELS),
    )

    def validate_max_household(self, field: Field) -> None:
        """Said only together with "families welcome"."""
        if field.data is not None and not self.families_welcome.data:
            raise ValidationError(
                _l("Please tick “I would also like to accompany a family” first.")
            )

    def validate_child_age_bands(self, field: Field) -> None:
        """Said only together with "families welcome"."""
        if field.data and not self.families_welcome.data:
            raise ValidationError(
                _l("Please tick “I would also like to accompany a family” first.")
            )

    def family_offer(self) -> FamilyOffer:
        """The offer as the service takes it."""
        return FamilyOffer(
            families_welcome=bool(self.families_welcome.data),
            max_household=self.max_household.data,
            child_age_bands=list(self.child_age_bands.data or []),
        )

    def fill_family(self, offer: FamilyOffer) -> None:
        """Show a stored offer."""
        self.families_welcome.data = offer.families_welcome
        self.max_household.data = offer.max_household
        self.child_age_bands.data = list(offer.child_age_bands)
