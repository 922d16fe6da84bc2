"""Forms of the admin area: agencies, users, exports, figures, privacy and the audit log."""

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from matcher.domain.vocab import UMBRELLAS
from matcher.labels import COMPONENT_LABELS, UMBRELLA_LABELS
from matcher.services.platform.administration import RESERVED_SLUGS
from matcher.web.fields import LocalDecimalField, safe_email

#: The days a period may start or end on: enough for any list, and far from the calendar's
#: ends, where the day after the last one does not exist.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def _in_range(form: Any, field: DateField) -> None:
    """A day between 1900 and 2100."""
    if field.data is not None and not EARLIEST_DAY <= field.data <= LATEST_DAY:
        raise ValidationError(_l("Please give a date between 1900 and 2100."))


def _day_field(label: Any) -> DateField:
    return DateField(label, validators=[Optional(), _in_range])


class PeriodFields(FlaskForm):
    """From and To: both optional, within 1900–2100, and To not before From."""

    date_from = _day_field(_l("From"))
    date_to = _day_field(_l("To"))

    def validate_date_to(self, field: Any) -> None:
        """The period ends after it starts."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end is before the start."))


def _weight(label: Any) -> LocalDecimalField:
    return LocalDecimalField(
        label, places=1, validators=[InputRequired(), NumberRange(min=0, max=10)]
    )


class AgencyCreateForm(FlaskForm):
    """A new agency: its short name (for links and the CLI) and its name."""

    slug = StringField(
        _l("Short name"),
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(r"^[a-z0-9-]+$", message=_l("Lower-case letters, digits and dashes only.")),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    umbrella = SelectField(
        _l("Welfare association"), choices=[SelectChoice(k, v) for k, v in UMBRELLA_LABELS.items()]
    )
    submit = SubmitField(_l("Create agency"))

    def validate_slug(self, field: StringField) -> None:
        """Not a word the sign-up links use themselves."""
        if field.data in RESERVED_SLUGS:
            raise ValidationError(_l("This short name is reserved; please choose another."))


class AgencySettingsForm(FlaskForm):
    """An agency's settings; "preview" counts the candidate pairs without saving."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    umbrella = SelectField(
        _l("Welfare association"), choices=[SelectChoice(k, v) for k, v in UMBRELLA_LABELS.items()]
    )
    privacy_contact = StringField(
        _l("Data protection contact"), validators=[Optional(), Length(max=300)]
    )
    max_distance_km = LocalDecimalField(
        _l("Maximum distance (km)"),
        places=1,
        validators=[Optional(), NumberRange(min=0.5, max=500)],
    )
    weight_language = _weight(COMPONENT_LABELS["language"])
    weight_distance = _weight(COMPONENT_LABELS["distance"])
    weight_availability = _weight(COMPONENT_LABELS["availability"])
    weight_topics = _weight(COMPONENT_LABELS["topics"])
    weight_waiting = _weight(COMPONENT_LABELS["waiting"])
    checkin_interval_weeks = IntegerField(
        _l("Check-in every … weeks"), validators=[InputRequired(), NumberRange(min=2, max=26)]
    )
    trial_weeks = IntegerField(
        _l("Trial phase (weeks)"), validators=[InputRequired(), NumberRange(min=1, max=26)]
    )
    retention_months = IntegerField(
        _l("Keep personal data for … months after the last activity"),
        validators=[InputRequired(), NumberRange(min=1, max=120)],
    )
    privacy_notice_text = TextAreaField(
        _l("Privacy notice"), validators=[Optional(), Length(max=20_000)]
    )
    two_factor_required = BooleanField(
        _l("Coordinators must sign in with a second factor (authenticator app)")
    )
    preview = SubmitField(_l("Preview candidate pairs"))
    submit = SubmitField(_l("Save settings"))

    def validate_umbrella(self, field: Any) -> None:
        """Only the known welfare associations."""
        if field.data not in UMBRELLAS:
            raise ValidationError(_l("Unknown welfare association."))

    def validate_weight_waiting(self, field: Any) -> None:
        """At least one weight above zero (checked once, on the last weight)."""
        weights = [getattr(self, f"weight_{k}").data for k in COMPONENT_LABELS]
        if all(w is not None for w in weights) and sum(weights) <= 0:
            raise ValidationError(_l("At least one weight must be above zero."))

    def weights(self) -> dict[str, float]:
        """The weights as numbers."""
        return {k: float(getattr(self, f"weight_{k}").data) for k in COMPONENT_LABELS}


class PreviewForm(FlaskForm):
    """The distance limit for the live preview (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    max_distance_km = LocalDecimalField(validators=[Optional(), NumberRange(min=0.5, max=500)])


class UserCreateForm(FlaskForm):
    """A new staff user; the password is generated and shown once."""

    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(), Length(max=254), safe_email]
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("coordinator", _l("Coordinator")),
            SelectChoice("admin", _l("Admin")),
        ],
    )
    agency = SelectField(_l("Agency"), coerce=int, choices=[], validate_choice=True)
    submit = SubmitField(_l("Create user"))


class ConfirmForm(FlaskForm):
    """A bare POST with its CSRF token: activate, deactivate, reset a password."""


class ExportForm(PeriodFields):
    """Which list of which agency, filtered, in which format (POST: every export is audited)."""

    agency = SelectField(_l("Agency"), coerce=int, choices=[], validate_choice=True)
    kind = RadioField(
        _l("List"),
        choices=[
            SelectChoice("matches", _l("Patenschaften")),
            SelectChoice("volunteers", _l("Volunteers")),
            SelectChoice("newcomers", _l("Newcomers")),
        ],
        default="matches",
    )
    status = SelectField(_l("Status"), choices=[], validate_choice=True)
    fmt = RadioField(
        _l("Format"),
        choices=[SelectChoice("xlsx", "Excel (XLSX)"), SelectChoice("csv", "CSV")],
        default="xlsx",
    )
    delimiter = RadioField(
        _l("CSV delimiter"),
        choices=[SelectChoice(";", _l("semicolon (German Excel)")), SelectChoice(",", _l("comma"))],
        default=";",
    )
    pseudonymised = BooleanField(_l("Pseudonymised, for statistics (no names or contacts)"))
    submit = SubmitField(_l("Download"))


class PeriodForm(PeriodFields):
    """An agency and a period."""

    agency = SelectField(_l("Agency"), coerce=int, choices=[], validate_choice=True)


class ReportForm(PeriodForm):
    """The agency and period of the figures and the funder report (GET)."""

    class Meta:
        csrf = False

    submit = SubmitField(_l("Show"))


class PersonSearchForm(FlaskForm):
    """Find a person for an access request or an erasure (GET)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name, email or number"), validators=[Optional(), Length(max=100)])


class EraseForm(FlaskForm):
    """Erasure needs a ticked confirmation."""

    confirm = BooleanField(
        _l("I have checked the request: erase this person's data for good."),
        validators=[DataRequired(message=_l("Please confirm the erasure."))],
    )
    submit = SubmitField(_l("Erase"))


class AuditFilterForm(PeriodFields):
    """Filters of the audit log (GET)."""

    class Meta:
        csrf = False

    agency = SelectField(_l("Agency"), coerce=int, choices=[], validate_choice=True)
    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    actor = StringField(_l("Staff member (email)"), validators=[Optional(), Length(max=254)])
    submit = SubmitField(_l("Filter"))


class ReportDownloadForm(PeriodForm):
    """The funder report as XLSX: a POST, since every export is audited."""

    submit = SubmitField(_l("Download as Excel (XLSX)"))


class ActAsForm(FlaskForm):
    """An admin chooses the agency whose people they work on."""

    agency = SelectField(_l("Agency"), choices=[], validators=[DataRequired()])
    next = HiddenField(validators=[Optional(), Length(max=500)])


class ActAsStopForm(FlaskForm):
    """Stop working on an agency's people."""
