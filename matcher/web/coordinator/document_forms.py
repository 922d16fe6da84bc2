"""Forms of the newcomers' documents: the first meeting, an agency's text, a review."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from matcher.domain.documents import MAX_TEXT_LENGTH
from matcher.services.matching.first_meeting import MAX_PLACE_LENGTH


class LocalTimeField(TimeField):
    """A time of day; an unreadable one gets a message in the staff language."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Please enter a time such as 17:30.")) from error


class MeetingForm(FlaskForm):
    """When and where the pair meets first (German local time)."""

    on = DateField(_l("Date"), validators=[InputRequired()])
    at = LocalTimeField(_l("Time"), validators=[InputRequired()])
    duration = IntegerField(
        _l("Duration in minutes"), default=60, validators=[InputRequired(), NumberRange(15, 480)]
    )
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=MAX_PLACE_LENGTH)])
    submit = SubmitField(_l("Save meeting"))


class TextForm(FlaskForm):
    """A new version of one document in one language."""

    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=MAX_TEXT_LENGTH)])
    based_on = HiddenField(validators=[InputRequired()])
    reviewed = BooleanField(_l("I have checked this translation against the current German text"))
    submit = SubmitField(_l("Save as new version"))


class ReviewForm(FlaskForm):
    """Confirm that the current translation was reviewed."""

    based_on = HiddenField(validators=[InputRequired()])
    submit = SubmitField(_l("Confirm review"))
