"""The volunteer sign-up form."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from matcher.labels import AGE_BAND_LABELS, GENDER_LABELS, choices
from matcher.web.fields import (
    VolunteerOfferForm,
    german_postcode,
    person_name,
    phone_number,
    plain_text,
    safe_email,
    strip,
)
from matcher.web.household_fields import FamilyOfferFields

REQUIRED = _l("Please fill in this field.")


class SignupForm(FamilyOfferFields, VolunteerOfferForm):
    """Everything a volunteer tells about themselves, and their consent per purpose."""

    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(REQUIRED), Length(max=100), person_name],
    )
    last_name = StringField(
        _l("Last name"),
        validators=[DataRequired(REQUIRED), Length(max=100), person_name],
    )
    email = EmailField(
        filters=[strip],
        label=_l("Email"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=254),
            Email(_l("Please enter a valid email address."), check_deliverability=False),
            safe_email,
        ],
    )
    phone = TelField(_l("Phone (optional)"), validators=[Optional(), Length(max=40), phone_number])
    postcode = StringField(
        _l("Postcode"), validators=[DataRequired(REQUIRED), Length(max=5), german_postcode]
    )
    age_band = SelectField(
        _l("Age"),
        choices=lambda: choices(
            {k: v for k, v in AGE_BAND_LABELS.items() if k != "under_18"},
            blank=_l("— please choose —"),
        ),
        validators=[DataRequired(REQUIRED)],
    )
    gender = SelectField(
        _l("Gender (optional)"),
        choices=lambda: choices(GENDER_LABELS, blank=_l("no answer")),
        validators=[Optional()],
    )
    motivation = TextAreaField(
        _l("Why would you like to become a mentor? (optional)"),
        validators=[Optional(), Length(max=1000), plain_text],
    )
    can_show_certificate = BooleanField(
        _l("I can show an extended certificate of good conduct (needed for work with children).")
    )
    consent_matching = BooleanField(
        _l(
            "I agree that the agency stores my details to find a suitable Patenschaft for me, "
            "as described in the privacy notice."
        ),
        validators=[DataRequired(_l("Without this consent we cannot match you."))],
    )
    consent_contact_sharing = BooleanField(
        _l(
            "I agree that the agency passes my name and contact details to the person I am "
            "matched with."
        )
    )
    # The honeypot: hidden from people by CSS, filled in by form-filling robots.
    website = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Sign up"))

    def consents(self) -> set[str]:
        """The purposes consented to."""
        given = {"matching": self.consent_matching.data}
        given["contact_sharing"] = self.consent_contact_sharing.data
        return {purpose for purpose, yes in given.items() if yes}
