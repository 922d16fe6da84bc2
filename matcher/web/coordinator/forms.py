"""Coordinator forms: list filters, newcomer intake and edit, status changes, certificates."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
    TimeField,
)
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

from matcher.domain import locales
from matcher.domain.contact import SOCIAL_WORKER_CONTACT_MAX
from matcher.domain.locales import DOCUMENT_LANGUAGES
from matcher.domain.vocab import (
    CERTIFICATE_RESULTS,
    CONTACT_CHANNELS_BY_PHONE,
    HOUSEHOLD_SIZE_MAX,
    INTERPRETER_ROLES,
)
from matcher.labels import (
    AGE_BAND_LABELS,
    CHILD_AGE_BAND_LABELS,
    CONSENT_PURPOSE_LABELS,
    CONTACT_CHANNEL_LABELS,
    GENDER_LABELS,
    HOUSEHOLD_NEED_LABELS,
    INTERPRETER_ROLE_LABELS,
    MESSAGE_TEMPLATE_LABELS,
    PART_LABELS,
    TOPIC_LABELS,
    choices,
)
from matcher.services.people.contact_messages import PLACE_MAX
from matcher.services.platform import vocabulary
from matcher.web import acting
from matcher.web.fields import (
    CachedSelect,
    LanguagesField,
    LocalDecimalField,
    MultiCheckboxField,
    at_least_one,
    german_postcode,
    language_choices,
    person_name,
    phone_number,
    plain_text,
    slot_choices,
)

REQUIRED = _l("Please fill in this field.")


def _filter_languages() -> list[SelectChoice]:
    return language_choices(blank=_l("All languages"))


class PeopleFilterForm(FlaskForm):
    """Search, status, language and postcode area for the volunteer and newcomer lists (GET)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), choices=[], validators=[Optional()], validate_choice=True)
    language = SelectField(
        _l("Language"),
        choices=_filter_languages,
        validators=[Optional()],
        # Checked against the language list directly (validate_language), which is
        # much cheaper than WTForms walking every choice on every page view.
        validate_choice=False,
        widget=CachedSelect(),
    )
    area = StringField(
        _l("Postcode area"),
        validators=[Optional(), Regexp(r"^\d{1,5}$", message=_l("1 to 5 digits, e.g. 508."))],
    )

    def validate_language(self, field: SelectField) -> None:
        """A known language code, or none."""
        if field.data and not vocabulary.is_language(field.data):
            raise ValidationError(_l("Unknown language."))


def _correspondence_choices() -> list[SelectChoice]:
    """The languages letters are written in, each named in the UI's language and its own."""
    blank = SelectChoice("", _l("— the first language they speak (if letters exist in it) —"))
    return [blank] + [
        SelectChoice(code, f"{vocabulary.language_name(code)} · {locales.ENDONYMS[code]}")
        for code in locales.DOCUMENT_LANGUAGES
    ]


def _interest_choices() -> list[SelectChoice]:
    """The interests the agency defined (issue 13), in its order."""
    return [SelectChoice(name, name) for name in acting.agency().interests or []]


class NewcomerForm(FlaskForm):
    """A newcomer's details: the minimum the matching needs, and how to reach them."""

    first_name = StringField(
        _l("First name"), validators=[DataRequired(REQUIRED), Length(max=100), person_name]
    )
    contact_note = TextAreaField(
        _l("How to reach them (optional)"),
        validators=[Optional(), Length(max=300), plain_text],
    )
    postcode = StringField(
        _l("Postcode"), validators=[DataRequired(REQUIRED), Length(max=5), german_postcode]
    )
    age_band = SelectField(
        _l("Age"),
        choices=lambda: choices(AGE_BAND_LABELS, blank=_l("— please choose —")),
        validators=[DataRequired(REQUIRED)],
    )
    languages = LanguagesField(_l("Languages they speak, with level"), min_entries=2)
    add_language = SubmitField(_l("Add another language"))
    slots = MultiCheckboxField(
        _l("When do they have time?"),
        choices=slot_choices,
        validators=[at_least_one(_l("Please tick at least one time."))],
    )
    topics = MultiCheckboxField(_l("What do they need help with?"), choices=choices(TOPIC_LABELS))
    minors = BooleanField(_l("Children under 18 in the household"))
    # The household (matcher.services.people.households): children's age bands set `minors`.
    household_size = IntegerField(
        _l("People in the household (she included)"),
        default=1,
        # Left out (an older form, a script): one person.
        validators=[
            Optional(),
            NumberRange(
                1,
                HOUSEHOLD_SIZE_MAX,
                _l("Please enter a number from 1 to %(max)d.", max=HOUSEHOLD_SIZE_MAX),
            ),
        ],
    )
    child_age_bands = MultiCheckboxField(
        _l("Children's ages"), choices=lambda: choices(CHILD_AGE_BAND_LABELS)
    )
    household_needs = MultiCheckboxField(
        _l("The family needs"), choices=lambda: choices(HOUSEHOLD_NEED_LABELS)
    )
    mentor_gender = SelectField(
        _l("Mentor's gender"),
        choices=lambda: choices(GENDER_LABELS, blank=_l("no preference")),
        validators=[Optional()],
    )
    phone = TelField(_l("Phone (optional)"), validators=[Optional(), Length(max=40), phone_number])
    contact_channel = RadioField(
        _l("Best way to reach them"),
        choices=lambda: choices(CONTACT_CHANNEL_LABELS, blank=_l("not known yet")),
        default="",
    )
    social_worker_contact = StringField(
        _l("Social worker (name, organisation, phone)"),
        validators=[Length(max=SOCIAL_WORKER_CONTACT_MAX), plain_text],
    )
    interpreter_needed = BooleanField(_l("An interpreter is needed"))
    interpreter_language = SelectField(
        _l("Interpreter for"),
        choices=language_choices,
        validate_choice=False,
        widget=CachedSelect(),
        default="",
    )
    correspondence_language = SelectField(
        _l("Letters and messages in"), choices=_correspondence_choices, default=""
    )
    # -- issue 13, control over the matching (engine helper) ---------------------------
    max_distance_km = LocalDecimalField(
        _l("How far can they travel? (km, optional)"),
        places=1,
        validators=[Optional(), NumberRange(min=0.5, max=500)],
    )
    gender = SelectField(
        _l("Their own gender (for same-gender or women-only tandems)"),
        choices=lambda: choices(GENDER_LABELS, blank=_l("not given")),
        validators=[Optional()],
    )
    interests = MultiCheckboxField(_l("Interests"), choices=_interest_choices)
    # When the form was loaded: saving over someone else's newer change is refused.
    loaded_at = HiddenField()
    submit = SubmitField(_l("Save"))

    def validate_contact_channel(self, field: RadioField) -> None:
        """A channel by phone needs the number (a wrong number is said at the number)."""
        if field.data in CONTACT_CHANNELS_BY_PHONE and not self.phone.data:
            raise ValidationError(
                _l(
                    "“%(channel)s” needs a phone number: please enter it, or choose another way.",
                    channel=CONTACT_CHANNEL_LABELS[field.data],
                )
            )

    def validate_child_age_bands(self, field: MultiCheckboxField) -> None:
        """Children live with her: the household counts at least two people."""
        if field.data and (self.household_size.data or 0) < 2:
            raise ValidationError(
                _l("With children in the household, it counts at least two people.")
            )

    def validate_social_worker_contact(self, field: StringField) -> None:
        """Through a social worker: whom to call."""
        if self.contact_channel.data == "social_worker" and not (field.data or "").strip():
            raise ValidationError(
                _l("Please say how to reach the social worker (name, organisation, phone).")
            )

    def validate_interpreter_language(self, field: SelectField) -> None:
        """A known language, needed exactly when an interpreter is."""
        if field.data and not vocabulary.is_language(field.data):
            raise ValidationError(_l("Unknown language."))
        if self.interpreter_needed.data and not field.data:
            raise ValidationError(_l("Please choose the language the interpreter is needed for."))


def _channel_choices() -> list[SelectChoice]:
    return [
        SelectChoice("paper", _l("on paper (signed form)")),
        SelectChoice("in_person", _l("in person")),
        SelectChoice("interpreter", _l("through an interpreter")),
    ]


def _interpreter_role_choices() -> list[SelectChoice]:
    return choices(INTERPRETER_ROLE_LABELS, blank=_l("— no interpreter —"))


class ConsentTakingMixin:
    """How a consent was taken: on which channel and, through an interpreter, their role."""

    consent_channel = RadioField(
        _l("Consent given"), choices=_channel_choices, validators=[InputRequired(REQUIRED)]
    )
    interpreter_role = SelectField(
        _l("Interpreter's role"),
        choices=_interpreter_role_choices,
        # Checked by validate_interpreter_role, also when the field is not sent at all (no
        # Optional(): it would stop that check on an empty choice).
        validate_choice=False,
    )

    def validate_interpreter_role(self, field: SelectField) -> None:
        """Needed exactly when the consent was given through an interpreter."""
        channel = self.consent_channel.data
        if field.data and field.data not in INTERPRETER_ROLES:
            raise ValidationError(_l("Please choose a role from the list."))
        if channel == "interpreter" and not field.data:
            raise ValidationError(_l("Please choose who interpreted."))
        if channel != "interpreter" and field.data:
            raise ValidationError(_l("Only with consent given through an interpreter."))

    def role(self) -> str | None:
        """The interpreter's role, if the consent was interpreted."""
        return self.interpreter_role.data or None


class IntakeForm(ConsentTakingMixin, NewcomerForm):
    """A new newcomer, with the consent the coordinator took."""

    consent_matching = BooleanField(
        _l("They agreed that their details are stored to find a mentor."),
        validators=[DataRequired(_l("Without this consent they cannot be registered."))],
    )
    consent_contact_sharing = BooleanField(
        _l("They agreed that their contact details are passed to their mentor.")
    )
    consent_language = SelectField(
        _l("Language the privacy notice was explained in"),
        # The common languages first, like every language list; checked by
        # validate_consent_language, which is cheaper than walking all choices.
        choices=language_choices,
        validators=[DataRequired(REQUIRED)],
        validate_choice=False,
        widget=CachedSelect(),
    )
    submit = SubmitField(_l("Register newcomer"))

    def validate_consent_language(self, field: StringField) -> None:
        """A known language."""
        if field.data and not vocabulary.is_language(field.data):
            raise ValidationError(_l("Unknown language."))

    def consents(self) -> set[str]:
        """The purposes consented to."""
        given = {
            "matching": self.consent_matching.data,
            "contact_sharing": self.consent_contact_sharing.data,
        }
        return {purpose for purpose, yes in given.items() if yes}


def _document_language_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("— choose a language —"))] + [
        SelectChoice(code, vocabulary.language_name(code, str(get_locale() or "de")))
        for code in DOCUMENT_LANGUAGES
    ]


class ConsentGiveForm(ConsentTakingMixin, FlaskForm):
    """A consent staff record later: a purpose not in force, or again after a withdrawal."""

    purpose = RadioField(
        _l("Purpose"),
        choices=lambda: choices(CONSENT_PURPOSE_LABELS),
        validators=[InputRequired(REQUIRED)],
    )
    consent_language = SelectField(
        _l("Language of the privacy notice shown"),
        choices=_document_language_choices,
        validators=[DataRequired(REQUIRED)],
    )
    submit = SubmitField(_l("Record consent"))


class ConsentWithdrawForm(FlaskForm):
    """The withdrawal of one consent in force (the record named by its id)."""

    consent_id = HiddenField(validators=[DataRequired(), Regexp(r"^[1-9][0-9]{0,17}$")])


class MessageForm(FlaskForm):
    """A message to copy for a newcomer: which one, and the few details it needs."""

    template = RadioField(
        _l("Message"),
        choices=lambda: choices(MESSAGE_TEMPLATE_LABELS),
        default="first_call",
        validators=[InputRequired(REQUIRED)],
    )
    date = DateField(_l("Date"), validators=[Optional()])
    daypart = SelectField(
        _l("Time of day (for the call)"),
        choices=lambda: choices(PART_LABELS, blank=_l("— please choose —")),
        default="",
    )
    time = TimeField(_l("Time"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=PLACE_MAX), plain_text])
    submit = SubmitField(_l("Show the message"))


class StatusForm(FlaskForm):
    """A status change button."""

    change = HiddenField(validators=[DataRequired(), Length(max=20)])


class EraseForm(FlaskForm):
    """Erase a person, after ticking that one means it."""

    confirm = BooleanField(
        _l("Yes, erase all personal data of this person. This cannot be undone."),
        validators=[DataRequired(_l("Please tick the box to confirm."))],
    )
    submit = SubmitField(_l("Erase"))


class CertificateForm(FlaskForm):
    """The inspection of a certificate of good conduct: dates and result, never a file."""

    inspected_on = DateField(_l("Inspected on"), validators=[InputRequired(REQUIRED)])
    issued_on = DateField(_l("Issue date of the certificate"), validators=[InputRequired(REQUIRED)])
    result = RadioField(
        _l("Result"),
        choices=[
            SelectChoice("clear", _l("no entries")),
            SelectChoice("entries", _l("entries relevant to §72a")),
        ],
        validators=[InputRequired(REQUIRED), AnyOf(CERTIFICATE_RESULTS)],
    )
    submit = SubmitField(_l("Record inspection"))
