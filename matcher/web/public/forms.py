"""The language switch."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired


class LanguageForm(FlaskForm):
    """Choose the UI language (sent by the buttons in the page header)."""

    lang = StringField(validators=[DataRequired(), AnyOf(["de", "en"])])
    next = HiddenField()
