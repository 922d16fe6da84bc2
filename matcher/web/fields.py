"""Form pieces shared by sign-up, self-service and intake: languages, the week grid, checks."""

import re
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any

from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    DecimalField,
    Field,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    SubmitField,
)
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput, html_params

from matcher.domain import phones, text
from matcher.domain.vocab import LEVELS, SLOTS
from matcher.labels import LEVEL_LABELS, TOPIC_LABELS, choices
from matcher.services.platform import vocabulary

MAX_LANGUAGES = 12

# Letters of any script, joined by spaces, apostrophes, hyphens or dots: O'Brien, Anne-Marie.
_NAME = re.compile(r"^[^\W\d_]+(?:[ '’.\-]+[^\W\d_]*)*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARKUP = re.compile(r"<\s*[a-zA-Z/!?]")


def strip(value: Any) -> Any:
    """A filter: trim surrounding whitespace from text."""
    return value.strip() if isinstance(value, str) else value


def person_name(_form: Any, field: Field) -> None:
    """Letters with spaces, apostrophes, hyphens and dots only."""
    value = (field.data or "").strip()
    field.data = value
    if value and not _NAME.match(value):
        raise ValidationError(_l("Please use letters only (spaces, ' and - are fine)."))


def plain_text(_form: Any, field: Field) -> None:
    """Text without control characters, hidden or reordering characters (I4) or HTML tags."""
    value = field.data or ""
    if _CONTROL.search(value) or text.hidden_in_text(value):
        raise ValidationError(_l("This text contains characters that are not allowed."))
    if _MARKUP.search(value):
        raise ValidationError(_l("Please write plain text, without HTML tags."))


def safe_email(_form: Any, field: Field) -> None:
    """What `wtforms.validators.Email` does not check (`matcher.domain.text`): at most 64
    characters before the @, no hidden characters, no look-alike letters of two alphabets."""
    problem = text.email_problem((field.data or "").strip())
    if problem == "email_local_part_too_long":
        raise ValidationError(_l("The part before the @ may have at most 64 characters."))
    if problem == "email_mixed_alphabets":
        raise ValidationError(
            _l(
                "This address mixes letters of different alphabets, e.g. Latin and "
                "Cyrillic. Please check it."
            )
        )
    if problem:
        raise ValidationError(_l("This text contains characters that are not allowed."))


def phone_number(_form: Any, field: Field) -> None:
    """A phone number as `matcher.domain.phones` reads it (German unless +/00); stored in
    E.164 (the field's data becomes "+49221123456")."""
    value = (field.data or "").strip()
    field.data = value
    if not value:
        return
    if not phones.is_valid(value):
        # The volunteers' pages say this in every volunteer language: the words stay.
        raise ValidationError(_l("Please enter a phone number, e.g. 0221 123456."))
    field.data = phones.normalise(value)


def german_postcode(_form: Any, field: Field) -> None:
    """A German postcode that exists."""
    value = (field.data or "").strip()
    field.data = value
    if vocabulary.postcode_position(value) is None:
        raise ValidationError(_l("Please enter a valid German postcode (5 digits)."))


def at_least_one(message: Any) -> Any:
    """A multi-choice field needs at least one choice."""

    def check(_form: Any, field: Field) -> None:
        if not field.data:
            raise ValidationError(message)

    return check


def language_choices(blank: Any = None) -> list[SelectChoice]:
    """Every language named in the UI language: the common ones first, each group its own."""
    blank = str(blank or _l("— choose a language —"))
    return list(_language_choices(str(get_locale() or "de"), blank))


@lru_cache(maxsize=16)
def _language_choices(locale: str, blank: str) -> tuple[SelectChoice, ...]:
    common, others = vocabulary.language_groups(locale)
    frequent, every = str(_l("Common languages")), str(_l("Other languages"))
    return (
        (SelectChoice("", blank),)
        + tuple(SelectChoice(c, n, optgroup=frequent) for c, n in common)
        + tuple(SelectChoice(c, n, optgroup=every) for c, n in others)
    )


def level_choices() -> list[SelectChoice]:
    """The language levels, blank first."""
    return [SelectChoice("", str(_l("— level —")))] + [
        SelectChoice(lv, str(LEVEL_LABELS[lv])) for lv in LEVELS
    ]


def plain_choices(*values: str) -> list[SelectChoice]:
    """Choices labelled with their own values (e.g. 1, 2, 3)."""
    return [SelectChoice(v, v) for v in values]


@lru_cache(maxsize=64)
def _options_html(choices: tuple[tuple[str, str, str | None], ...]) -> str:
    html = []
    for group, options in groupby(choices, key=itemgetter(2)):
        rendered = "".join(
            f'<option value="{escape(v)}">{escape(label)}</option>' for v, label, _g in options
        )
        if group:
            rendered = f'<optgroup label="{escape(group)}">{rendered}</optgroup>'
        html.append(rendered)
    return "".join(html)


class CachedSelect:
    """A <select> whose options (and <optgroup>s) are rendered once per list and reused.

    The language lists have over 200 options; rendering them option by option took longer
    than the rest of the page together. The options differ only in which one is selected.
    """

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        raw = field.choices() if callable(field.choices) else (field.choices or [])
        # Plain tuples, not WTForms' per-option Choice objects: building those was the cost.
        choices = tuple(
            (str(c.value), str(c.label), None if c.optgroup is None else str(c.optgroup))
            if isinstance(c, SelectChoice)
            else (str(c[0]), str(c[1]), None)
            for c in raw
        )
        options = _options_html(choices)
        if field.data:
            value = f'<option value="{escape(field.data)}">'
            options = options.replace(value, value[:-1] + " selected>", 1)
        # Every value and label above went through escape(); html_params escapes too.
        html = f"<select {html_params(name=field.name, **kwargs)}>{options}</select>"
        return Markup(html)  # noqa: S704


class LocalDecimalField(DecimalField):
    """A decimal number shown as the UI language writes it ("12,5" in German) and read with
    either a comma or a point, never a thousands separator (so "12.5" is not 125).

    A text box with a decimal keyboard: a browser's number box would refuse "12,5".
    """

    widget = TextInput(input_type="text")

    def __call__(self, **kwargs: Any) -> Markup:
        kwargs.setdefault("inputmode", "decimal")
        return super().__call__(**kwargs)  # type: ignore[no-any-return]

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        places = self.places if isinstance(self.places, int) else 1
        return str(format_decimal(self.data, format="0." + "0" * places))

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Accept "12,5" and "12.5" alike."""
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [valuelist[0].strip().replace(",", ".", 1)]
        super().process_formdata(valuelist)


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes, which work without JavaScript."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LanguageEntryForm(Form):
    """One language with its level; a row left blank is ignored."""

    code = SelectField(
        _l("Language"), choices=language_choices, validate_choice=False, widget=CachedSelect()
    )
    level = SelectField(_l("Level"), choices=level_choices, validate_choice=False)

    def validate_code(self, field: Field) -> None:
        """A known language, given together with a level."""
        if field.data and not vocabulary.is_language(field.data):
            raise ValidationError(_l("Unknown language."))
        if not field.data and self.level.data:
            raise ValidationError(_l("Please choose the language for this level."))

    def validate_level(self, field: Field) -> None:
        """A known level, given together with a language."""
        if field.data and not vocabulary.is_level(field.data):
            raise ValidationError(_l("Unknown level."))
        if self.code.data and not field.data:
            raise ValidationError(_l("Please choose a level."))


class LanguagesField(FieldList):
    """As many languages with levels as needed: a form button adds a row without JavaScript."""

    def __init__(self, label: Any = None, min_entries: int = 3, **kwargs: Any) -> None:
        super().__init__(
            FormField(LanguageEntryForm),
            label,
            min_entries=min_entries,
            max_entries=MAX_LANGUAGES,
            **kwargs,
        )

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        """Every row, then: at least one language, none twice."""
        valid = bool(super().validate(form, extra_validators))
        codes = [e.form.code.data for e in self.entries if e.form.code.data]
        if not codes:
            self.errors.append(str(_l("Please name at least one language.")))
        elif len(codes) != len(set(codes)):
            self.errors.append(str(_l("Each language only once, please.")))
        else:
            return valid
        return False

    def as_dict(self) -> dict[str, str]:
        """The chosen languages as {code: level}."""
        return {e.form.code.data: e.form.level.data for e in self.entries if e.form.code.data}

    def fill(self, languages: dict[str, str]) -> None:
        """Show these languages, plus one empty row to add another."""
        while self.entries:
            self.pop_entry()
        for code, level in languages.items():
            self.append_entry({"code": code, "level": level})
        if len(self.entries) < self.max_entries:
            self.append_entry()


def slot_choices() -> list[SelectChoice]:
    """The 21 weekly slots (the template lays them out as a grid)."""
    return plain_choices(*SLOTS)


class VolunteerOfferForm(FlaskForm):
    """What a volunteer offers and keeps up to date: languages, times, topics, places.

    Shared by the sign-up and the self-service profile, so both ask in the same words.
    """

    languages = LanguagesField(_l("Languages you speak"), min_entries=2)
    add_language = SubmitField(_l("Add another language"))
    slots = MultiCheckboxField(
        _l("When do you have time?"),
        choices=slot_choices,
        validators=[at_least_one(_l("Please tick at least one time."))],
    )
    topics = MultiCheckboxField(
        _l("What would you like to help with?"), choices=lambda: choices(TOPIC_LABELS)
    )
    capacity = RadioField(
        _l("How many Patenschaften at once?"),
        choices=plain_choices("1", "2", "3"),
        default="1",
        validators=[InputRequired(_l("Please fill in this field."))],
    )
