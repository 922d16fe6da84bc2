"""The form of an agency's must-rules and interests (issue 13), and its preview twin."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from matcher.domain.vocab import INTEREST_MAX_LENGTH, MAX_INTERESTS
from matcher.labels import LEVEL_LABELS, TANDEM_GENDER_LABELS, choices
from matcher.services.matching.must_rules import MAX_SHARED_SLOTS, MustRules


class MustRulesForm(FlaskForm):
    """The must-rules of the matching, as a coordinator sets them."""

    min_score = IntegerField(
        _l("Minimum score (0–100)"), validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    min_language_level = SelectField(
        _l("Minimum language level (both, in a shared language)"),
        choices=choices(LEVEL_LABELS, blank=_l("any shared language")),
    )
    min_shared_slots = IntegerField(
        _l("Minimum shared times per week"),
        validators=[InputRequired(), NumberRange(min=0, max=MAX_SHARED_SLOTS)],
    )
    tandem_gender = SelectField(
        _l("Tandems"), choices=choices(TANDEM_GENDER_LABELS, blank=_l("any gender"))
    )
    age_band_preference = BooleanField(
        _l("Prefer volunteers who like to meet children of the household's ages")
    )
    interests = TextAreaField(
        _l("Interests volunteers and newcomers choose from (one per line)"),
        validators=[Optional(), Length(max=MAX_INTERESTS * (INTEREST_MAX_LENGTH + 2))],
    )
    submit = SubmitField(_l("Save the matching rules"))

    def validate_interests(self, field: Any) -> None:
        """Not too many, none too long."""
        names = [line.strip() for line in (field.data or "").splitlines() if line.strip()]
        if len(names) > MAX_INTERESTS:
            raise ValidationError(_l("At most %(num)d interests.", num=MAX_INTERESTS))
        if any(len(name) > INTEREST_MAX_LENGTH for name in names):
            raise ValidationError(
                _l("An interest may have at most %(num)d characters.", num=INTEREST_MAX_LENGTH)
            )

    def fill(self, rules: MustRules) -> None:
        """Show an agency's rules."""
        self.min_score.data = round(rules.min_score * 100)
        self.min_language_level.data = rules.min_language_level or ""
        self.min_shared_slots.data = rules.min_shared_slots
        self.tandem_gender.data = rules.tandem_gender or ""
        self.age_band_preference.data = rules.age_band_preference
        self.interests.data = "\n".join(rules.interests)

    def rules(self) -> MustRules:
        """The rules as entered (validated)."""
        return MustRules(
            min_score=int(self.min_score.data) / 100,
            min_language_level=self.min_language_level.data or None,
            min_shared_slots=int(self.min_shared_slots.data),
            tandem_gender=self.tandem_gender.data or None,
            age_band_preference=bool(self.age_band_preference.data),
            interests=tuple(
                line.strip() for line in (self.interests.data or "").splitlines() if line.strip()
            ),
        ).checked()


class MustRulesPreviewForm(MustRulesForm):
    """The same fields for the live preview (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False
