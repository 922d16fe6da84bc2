"""Forms of the matching workflow and the Patenschaft lifecycle."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import DateField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from matcher.labels import END_REASON_LABELS, LIGHT_LABELS, choices
from matcher.models import today

_ITEM = re.compile(r"^(\d{1,10}):(\d{1,10})$")
MAX_VERSION = 2**31 - 1


class RunForm(FlaskForm):
    """The run button."""


class ReturnsToPage(FlaskForm):
    """A form on a paged list: which page to show again afterwards."""

    next_page = IntegerField(
        widget=HiddenField.widget, validators=[Optional(), NumberRange(min=1, max=100_000)]
    )

    def page(self) -> int:
        """The list page to go back to."""
        return int(self.next_page.data or 1)


class VersionedForm(ReturnsToPage):
    """A step on one match: carries the version the coordinator saw."""

    version = IntegerField(
        widget=HiddenField.widget,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)],
    )


class ApproveForm(VersionedForm):
    """Approve one proposal."""


class RejectForm(VersionedForm):
    """Reject one proposal, with a reason."""

    reason = StringField(_l("Reason for rejecting"), validators=[DataRequired(), Length(max=500)])


class AlternativeForm(VersionedForm):
    """Give the proposal's newcomer another volunteer."""

    volunteer_id = IntegerField(
        widget=HiddenField.widget,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)],
    )


class BulkApproveForm(ReturnsToPage):
    """Approve several proposals at once: each checkbox is "match id:version"."""

    selected = SelectMultipleField(_l("Approve"), choices=[], validate_choice=False)

    def validate_selected(self, field: SelectMultipleField) -> None:
        """At least one, each a match id and the version seen."""
        if not field.data:
            raise ValidationError(_l("Please choose at least one proposal."))
        if len(field.data) > 500 or not all(_ITEM.match(item) for item in field.data):
            raise ValidationError(_l("Invalid selection."))
        # Like the ids in URLs: a number no INTEGER column can hold names no proposal.
        for item in field.data:
            found = _ITEM.match(item)
            assert found
            if not all(1 <= int(n) <= MAX_VERSION for n in found.groups()):
                raise ValidationError(_l("Invalid selection."))

    def items(self) -> list[tuple[int, int]]:
        """The (match id, version) pairs chosen, without repeats."""
        seen: dict[int, int] = {}
        for item in self.selected.data or []:
            found = _ITEM.match(item)
            assert found
            seen.setdefault(int(found.group(1)), int(found.group(2)))
        return list(seen.items())


class StepForm(VersionedForm):
    """Activate, pause or resume, with an optional note."""

    note = StringField(_l("Note (optional)"), validators=[Length(max=1000)])


class EndForm(VersionedForm):
    """End a Patenschaft with a reason."""

    # No reason is chosen in advance: ending a Patenschaft is a decision, not a default.
    reason = SelectField(
        _l("Reason"),
        choices=choices(END_REASON_LABELS, blank=_l("— please choose —")),
        validators=[DataRequired(_l("Please choose a reason."))],
    )
    note = StringField(_l("Note (optional)"), validators=[Length(max=1000)])


class CheckInForm(FlaskForm):
    """Record a check-in."""

    held_on = DateField(_l("Date of the conversation"), validators=[Optional()])
    light = RadioField(
        _l("How is it going?"), choices=choices(LIGHT_LABELS), validators=[InputRequired()]
    )
    note = TextAreaField(_l("Short note"), validators=[Length(max=2000)])

    def validate_held_on(self, field: DateField) -> None:
        """The conversation has taken place already (today at the latest)."""
        if field.data is not None and field.data > today():
            raise ValidationError(_l("The conversation cannot be in the future."))


class AcknowledgeForm(FlaskForm):
    """Mark a Patenschaft's flag as seen."""


class StatusFilterForm(FlaskForm):
    """Status filter for the Patenschaften list (GET, no CSRF)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[], validate_choice=True)
