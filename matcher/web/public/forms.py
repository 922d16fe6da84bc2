"""The language switch."""

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, StringField, ValidationError
from wtforms.validators import DataRequired

from matcher import i18n


def _offered(_form: Any, field: Field) -> None:
    # Staff pages offer German and English only; volunteer pages every volunteer language.
    if field.data not in i18n.offered_languages():
        raise ValidationError("unknown language")


class LanguageForm(FlaskForm):
    """Choose the UI language (sent by the buttons of the language menu in the page header)."""

    lang = StringField(validators=[DataRequired(), _offered])
    next = HiddenField()
