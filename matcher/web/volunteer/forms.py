"""Self-service forms: ask for a link, change the profile, pause, withdraw, delete."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Email, Length

from matcher.domain.locales import ENDONYMS, VOLUNTEER_LANGUAGES, direction
from matcher.domain.vocab import CONSENT_PURPOSES
from matcher.web.fields import (
    LanguagesField,
    VolunteerOfferForm,
    plain_choices,
    safe_email,
    strip,
)
from matcher.web.household_fields import FamilyOfferFields


class LinkRequestForm(FlaskForm):
    """The address a volunteer signed up with."""

    email = EmailField(
        filters=[strip],
        label=_l("Your email address"),
        validators=[
            DataRequired(_l("Please fill in this field.")),
            Length(max=254),
            Email(_l("Please enter a valid email address."), check_deliverability=False),
            safe_email,
        ],
    )
    submit = SubmitField(_l("Send me a link"))


class OpenLinkForm(FlaskForm):
    """The token of a magic link, sent back by a button."""

    token = HiddenField(validators=[DataRequired(), Length(max=500)])


class ProfileForm(FamilyOfferFields, VolunteerOfferForm):
    """What a volunteer can change themselves."""

    languages = LanguagesField(_l("Languages you speak"), min_entries=1)
    submit = SubmitField(_l("Save changes"))


class ActionForm(FlaskForm):
    """A button that changes something (pause, resume, log out): only the CSRF token."""


class WithdrawForm(FlaskForm):
    """Withdraw consent for one purpose."""

    purpose = SelectField(
        choices=plain_choices(*CONSENT_PURPOSES), validators=[AnyOf(CONSENT_PURPOSES)]
    )


class GiveConsentForm(FlaskForm):
    """Give a consent for one purpose (again)."""

    purpose = SelectField(
        choices=plain_choices(*CONSENT_PURPOSES), validators=[AnyOf(CONSENT_PURPOSES)]
    )


class DeleteForm(FlaskForm):
    """Delete everything, after ticking that one means it."""

    confirm = BooleanField(
        _l("Yes, delete all my details. This cannot be undone."),
        validators=[DataRequired(_l("Please tick the box to confirm."))],
    )
    submit = SubmitField(_l("Delete my details"))


class MailLanguageForm(FlaskForm):
    """The language of the volunteer's mails, each language named in itself."""

    locale = SelectField(
        _l("Language of our mails to you"),
        choices=lambda: [
            (c, ENDONYMS[c], {"lang": c, "dir": direction(c)}) for c in VOLUNTEER_LANGUAGES
        ],
        validators=[AnyOf(VOLUNTEER_LANGUAGES, message=_l("Please choose a language."))],
    )
    submit = SubmitField(_l("Save language"))
