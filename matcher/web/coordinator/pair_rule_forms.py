"""Forms to pin or forbid a pair, and to lift such a rule (issue 13)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from matcher.services.matching.pair_rules import REASON_MAX_LENGTH

MAX_ID = 2**31 - 1


class PinForm(FlaskForm):
    """Pin a volunteer to a newcomer; the reason is optional."""

    volunteer_id = IntegerField(
        widget=HiddenField.widget, validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)]
    )
    newcomer_id = IntegerField(
        widget=HiddenField.widget, validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)]
    )
    reason = StringField(
        _l("Reason (optional)"), validators=[Optional(), Length(max=REASON_MAX_LENGTH)]
    )
    next = HiddenField()


class ForbidForm(PinForm):
    """Forbid a pair for good; the reason is required."""

    reason = StringField(
        _l("Reason (required)"), validators=[DataRequired(), Length(max=REASON_MAX_LENGTH)]
    )


class UndoRuleForm(FlaskForm):
    """Lift a pin or a ban."""
