"""Forms of the matching workflow and the Patenschaft lifecycle."""

import re
from typing import Any
from urllib.parse import parse_qsl

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import DateField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from matcher.labels import END_REASON_LABELS, LIGHT_LABELS, choices
from matcher.models import today
from matcher.services.matching import proposals
from matcher.services.platform import vocabulary
from matcher.web.fields import CachedSelect, language_choices

_ITEM = re.compile(r"^(\d{1,10}):(\d{1,10})$")
MAX_VERSION = 2**31 - 1
#: The query arguments of the proposals table (a POST returns to them).
LIST_ARGS = frozenset(("q", "language", "area", "min_score", "min_waiting", "certificate",
                       "sort", "dir"))  # fmt: skip


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


def _valid_items(data: list[str]) -> None:
    """Each item a match id and the version seen, at most 500 of them."""
    if len(data) > 500 or not all(_ITEM.match(item) for item in data):
        raise ValidationError(_l("Invalid selection."))
    # Like the ids in URLs: a number no INTEGER column can hold names no proposal.
    for item in data:
        found = _ITEM.match(item)
        assert found
        if not all(1 <= int(n) <= MAX_VERSION for n in found.groups()):
            raise ValidationError(_l("Invalid selection."))


class BackToList(ReturnsToPage):
    """A form on the proposals table, or on a person's page (`person`): where to go back to,
    with the table's filters and order."""

    person = HiddenField(validators=[Optional(), AnyOf(("", "newcomer", "volunteer"))])
    list_args = StringField(widget=HiddenField.widget, validators=[Optional(), Length(max=600)])

    def list_values(self) -> dict[str, Any]:
        """The table's query arguments to return to (only the table's own, page included)."""
        values = {
            key: value
            for key, value in parse_qsl(self.list_args.data or "", keep_blank_values=False)
            if key in LIST_ARGS and len(value) <= 100
        }
        values["page"] = str(self.page())
        return values


class ApproveForm(VersionedForm, BackToList):
    """Approve one proposal."""


class RejectForm(VersionedForm, BackToList):
    """Reject one proposal, with a reason."""

    reason = StringField(_l("Reason for rejecting"), validators=[DataRequired(), Length(max=500)])


class AlternativeForm(VersionedForm):
    """Give the proposal's newcomer another volunteer."""

    volunteer_id = IntegerField(
        widget=HiddenField.widget,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)],
    )


class BulkApproveForm(BackToList):
    """Approve several proposals at once: each checkbox is "match id:version".

    The button "Approve all on this page" (scope=page) approves the page's proposals
    (`on_page`, one hidden field each) without ticking: the select-all checkbox needs
    JavaScript, this button does not.
    """

    selected = SelectMultipleField(_l("Approve"), choices=[], validate_choice=False)
    on_page = SelectMultipleField(choices=[], validate_choice=False)
    scope = HiddenField()

    def validate_selected(self, field: SelectMultipleField) -> None:
        """At least one (unless the whole page is approved), each a match id and version."""
        if self.scope.data == "page":
            return
        if not field.data:
            raise ValidationError(_l("Please choose at least one proposal."))
        _valid_items(field.data)

    def validate_on_page(self, field: SelectMultipleField) -> None:
        """The page's proposals, when the whole page is approved."""
        if self.scope.data != "page":
            return
        if not field.data:
            raise ValidationError(_l("Please choose at least one proposal."))
        _valid_items(field.data)

    def items(self) -> list[tuple[int, int]]:
        """The (match id, version) pairs chosen, without repeats."""
        chosen = self.on_page.data if self.scope.data == "page" else self.selected.data
        seen: dict[int, int] = {}
        for item in chosen or []:
            found = _ITEM.match(item)
            assert found
            seen.setdefault(int(found.group(1)), int(found.group(2)))
        return list(seen.items())


def _filter_languages() -> list[SelectChoice]:
    return language_choices(blank=_l("All languages"))


class ProposalFilterForm(FlaskForm):
    """Search, filters and order of the proposals table (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name (volunteer or newcomer)"), validators=[Optional(), Length(max=100)])
    language = SelectField(
        _l("Shared language"),
        choices=_filter_languages,
        validators=[Optional()],
        validate_choice=False,  # checked by validate_language, as on the people lists
        widget=CachedSelect(),
    )
    area = StringField(
        _l("Postcode area"),
        validators=[Optional(), Regexp(r"^\d{1,5}$", message=_l("1 to 5 digits, e.g. 508."))],
    )
    min_score = IntegerField(
        _l("Score at least"),
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("A number from 0 to 100."))],
    )
    min_waiting = IntegerField(
        _l("Waiting at least (days)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=36_500, message=_l("A number of days from 0 to 36,500.")),
        ],
    )
    certificate = SelectField(
        _l("Certificate of good conduct needed"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("yes", _l("needed")),
            SelectChoice("no", _l("not needed")),
        ],
        validators=[Optional()],
    )
    sort = SelectField(
        _l("Sort by"),
        choices=[SelectChoice(key, key) for key in proposals.SORT_KEYS],
        validators=[Optional()],
    )
    dir = SelectField(
        _l("Order"),
        choices=[SelectChoice("asc", "asc"), SelectChoice("desc", "desc")],
        validators=[Optional()],
    )

    def validate_language(self, field: SelectField) -> None:
        """A known language code, or none."""
        if field.data and not vocabulary.is_language(field.data):
            raise ValidationError(_l("Unknown language."))

    def filters(self) -> proposals.Filters:
        """The service's filters from the valid form."""
        sort = self.sort.data or proposals.DEFAULT_SORT[0]
        default_dir = proposals.DEFAULT_SORT[1] if sort == proposals.DEFAULT_SORT[0] else "asc"
        return proposals.Filters(
            q=self.q.data or "",
            language=self.language.data or "",
            area=self.area.data or "",
            min_score=self.min_score.data,
            min_waiting_days=self.min_waiting.data,
            certificate=self.certificate.data or "",
            sort=sort,
            direction=self.dir.data or default_dir,
        )


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
