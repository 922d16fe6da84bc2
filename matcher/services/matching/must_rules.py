"""An agency's must-rules for the matching and its list of interests (issue 13).

The rules go to the engine as optional settings (`problem.settings`): a minimum score, a
minimum language level, a minimum of shared slots, same-gender or women-only tandems, the
children's age bands as a soft preference. The interests are the list volunteers and
newcomers choose from; shared ones raise a pair's topics component.
"""

from dataclasses import dataclass

from matcher.domain import audit
from matcher.domain.errors import Invalid
from matcher.domain.vocab import INTEREST_MAX_LENGTH, LEVELS, MAX_INTERESTS, TANDEM_GENDERS
from matcher.extensions import db
from matcher.models import Agency, User

#: Most shared slots a rule may ask for (the week has 21).
MAX_SHARED_SLOTS = 21


@dataclass(frozen=True)
class MustRules:
    """The must-rules as a coordinator sets them; the defaults are today's behaviour."""

    min_score: float = 0.0
    min_language_level: str | None = None
    min_shared_slots: int = 1
    tandem_gender: str | None = None
    age_band_preference: bool = False
    interests: tuple[str, ...] = ()

    @classmethod
    def of(cls, agency: Agency) -> "MustRules":
        """The rules an agency has now."""
        return cls(
            min_score=float(agency.min_score or 0.0),
            min_language_level=agency.min_language_level,
            min_shared_slots=1 if agency.min_shared_slots is None else agency.min_shared_slots,
            tandem_gender=agency.tandem_gender,
            age_band_preference=bool(agency.age_band_preference),
            interests=tuple(agency.interests or ()),
        )

    def checked(self) -> "MustRules":
        """The same rules, validated and tidied (interests trimmed, without duplicates).

        :raises Invalid: a value out of range, with which rule.
        """
        if not 0.0 <= self.min_score <= 1.0:
            raise Invalid("must_rule_invalid", rule="min_score")
        if self.min_language_level is not None and self.min_language_level not in LEVELS:
            raise Invalid("must_rule_invalid", rule="min_language_level")
        if not 0 <= self.min_shared_slots <= MAX_SHARED_SLOTS:
            raise Invalid("must_rule_invalid", rule="min_shared_slots")
        if self.tandem_gender is not None and self.tandem_gender not in TANDEM_GENDERS:
            raise Invalid("must_rule_invalid", rule="tandem_gender")
        interests: list[str] = []
        for raw in self.interests:
            name = " ".join(raw.split())
            if not name or name in interests:
                continue
            if len(name) > INTEREST_MAX_LENGTH:
                raise Invalid("interest_too_long", limit=INTEREST_MAX_LENGTH)
            interests.append(name)
        if len(interests) > MAX_INTERESTS:
            raise Invalid("too_many_interests", limit=MAX_INTERESTS)
        return MustRules(
            min_score=self.min_score,
            min_language_level=self.min_language_level,
            min_shared_slots=self.min_shared_slots,
            tandem_gender=self.tandem_gender,
            age_band_preference=self.age_band_preference,
            interests=tuple(interests),
        )

    def apply_to(self, agency: Agency) -> None:
        """Set these rules on the agency (not saved: the caller's transaction does)."""
        agency.min_score = self.min_score
        agency.min_language_level = self.min_language_level
        agency.min_shared_slots = self.min_shared_slots
        agency.tandem_gender = self.tandem_gender
        agency.age_band_preference = self.age_band_preference
        agency.interests = list(self.interests) or None


def save(agency: Agency, rules: MustRules, actor: User) -> None:
    """Save an agency's must-rules and interests (audited); flushes.

    :raises Invalid: a value out of range.
    """
    rules.checked().apply_to(agency)
    audit.about("agency.must_rules", agency, actor)
    db.session.flush()
