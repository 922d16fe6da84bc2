"""Forms of data quality: a coordinator edits a volunteer; merge and "not a duplicate".

The volunteer's fields are the sign-up's own (`SignupForm`) and the self-service profile's
(`VolunteerOfferForm`): the same words and the same checks everywhere.
"""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Regexp

from matcher.web.fields import LanguagesField, VolunteerOfferForm
from matcher.web.public.signup_forms import SignupForm


class VolunteerEditForm(VolunteerOfferForm):
    """A volunteer's details as a coordinator may change them."""

    first_name = SignupForm.first_name
    last_name = SignupForm.last_name
    email = SignupForm.email
    phone = SignupForm.phone
    postcode = SignupForm.postcode
    gender = SignupForm.gender
    languages = LanguagesField(_l("Languages they speak, with level"), min_entries=1)
    # When the form was loaded, and the details it was loaded with: saving over someone
    # else's newer change is refused.
    loaded_at = HiddenField()
    loaded = HiddenField()
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The same fields, asked about the volunteer rather than of them.
        self.slots.label.text = _l("When do they have time?")
        self.topics.label.text = _l("What would they like to help with?")


_ID = Regexp(r"^[1-9][0-9]{0,17}$")


class MergeForm(FlaskForm):
    """Merge the other record (by id) into this one."""

    other = HiddenField(validators=[DataRequired(), _ID])
    submit = SubmitField(_l("Merge"))


class NotDuplicateForm(FlaskForm):
    """Two records are two people: stop flagging them."""

    other = HiddenField(validators=[DataRequired(), _ID])
    submit = SubmitField(_l("Not a duplicate"))


class KeepForm(FlaskForm):
    """Which of two records to keep (GET, for the preview)."""

    class Meta:
        csrf = False

    keep = RadioField(choices=[], validators=[InputRequired()])
