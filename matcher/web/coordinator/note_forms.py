"""Forms of the timeline: a note or a contact, its edit (with the version shown), its deletion.

The forms only read what was typed; the rules (text required and at most 4,000 characters,
a known channel and party, no day after today) are the domain's (`matcher.domain.notes`),
and the view puts the service's answer at the field it concerns.
"""

import secrets
from datetime import datetime
from typing import Self

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp

from matcher.domain.notes import TEXT_MAX, TIMEZONE, Entry
from matcher.labels import NOTE_CHANNEL_LABELS, NOTE_KIND_LABELS, NOTE_PARTY_LABELS, choices
from matcher.models import User, utcnow
from matcher.web.coordinator.matching_forms import MAX_VERSION


def _staff_label(user: User) -> str:
    return user.name or user.email


class NoteForm(FlaskForm):
    """A new entry: a contact (who, with whom, when, how, text) or a note (text)."""

    kind = RadioField(
        _l("Kind of entry"),
        choices=choices(NOTE_KIND_LABELS),
        default="contact",
        validate_choice=False,
    )
    on = DateField(_l("Date"), validators=[Optional()])
    at = TimeField(_l("Time"), validators=[Optional()])
    channel = SelectField(
        _l("How"),
        choices=choices(NOTE_CHANNEL_LABELS, blank=_l("Please choose")),
        validate_choice=False,
    )
    party = SelectField(
        _l("With whom"),
        choices=choices(NOTE_PARTY_LABELS, blank=_l("Please choose")),
        validate_choice=False,
    )
    staff = SelectField(_l("Staff member"), choices=[], coerce=int, validate_choice=False)
    text = TextAreaField(_l("Text"), render_kw={"maxlength": TEXT_MAX, "rows": 4})
    # Sent twice (a double click, a reload), the same key saves one entry.
    submission_key = HiddenField(validators=[Optional(), Regexp(r"^[0-9a-f]{32}$")])
    submit = SubmitField(_l("Save entry"))

    def prepare(self, people: list[User]) -> Self:
        """Fill the staff choices."""
        self.staff.choices = [SelectChoice(u.id, _staff_label(u)) for u in people]
        return self

    def start(self, actor: User, party: str | None) -> Self:
        """A new entry's defaults: now, the actor, the page's party, a fresh submission key."""
        now = utcnow().astimezone(TIMEZONE)
        self.on.data = now.date()
        self.at.data = now.time().replace(second=0, microsecond=0)
        self.staff.data = actor.id
        self.party.data = party or ""
        self.submission_key.data = secrets.token_hex(16)
        return self

    def moment(self) -> datetime:
        """The date and time typed (German local time); a blank one is now."""
        now = utcnow().astimezone(TIMEZONE)
        on = self.on.data or now.date()
        at = self.at.data or now.time()
        return datetime.combine(on, at.replace(second=0, microsecond=0), tzinfo=TIMEZONE)

    def entry(self) -> Entry:
        """What was typed, for the service to check and keep."""
        return Entry(
            kind=self.kind.data or "",
            text=self.text.data or "",
            at=self.moment(),
            channel=self.channel.data or None,
            party=self.party.data or None,
            staff_id=self.staff.data or None,
        )


class NoteEditForm(NoteForm):
    """An entry changed: it carries the version the coordinator saw."""

    version = IntegerField(
        widget=HiddenField.widget,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)],
    )
    submit = SubmitField(_l("Save changes"))


class NoteDeleteForm(FlaskForm):
    """Delete an entry (the version seen, so a changed entry is not deleted unseen)."""

    version = IntegerField(
        widget=HiddenField.widget,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)],
    )
    submit = SubmitField(_l("Delete entry"))
