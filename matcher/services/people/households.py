"""Households: a newcomer's family, and the families a volunteer welcomes.

A newcomer entry can be a family: how many people (she counts), the children's age bands
(`CHILD_AGE_BANDS`) and what the family needs (`HOUSEHOLD_NEEDS`). Children in the
household mean the volunteer needs a valid certificate of good conduct: the certificate
rule (`matcher.domain.eligibility.NewcomerRules.needs_certificate`) reads `minors`, so
`apply_household` sets it whenever children's age bands are given (and the database's
CHECK refuses a row with children but without `minors`).

A volunteer says whether families are welcome, how many people at most (None: any size)
and the children's ages they like to meet (empty: no preference). The matching reads the
columns (`services/matching/problem.py`); this module only checks and stores them.
"""

from dataclasses import dataclass, field

from matcher.domain import audit
from matcher.domain.errors import Conflict, Invalid
from matcher.domain.vocab import CHILD_AGE_BANDS, HOUSEHOLD_NEEDS, HOUSEHOLD_SIZE_MAX
from matcher.models import Newcomer, User, Volunteer


@dataclass
class Household:
    """A newcomer's household: size, children's age bands, needs."""

    size: int = 1
    child_age_bands: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)


@dataclass
class FamilyOffer:
    """What a volunteer says about families."""

    families_welcome: bool = False
    max_household: int | None = None
    child_age_bands: list[str] = field(default_factory=list)


def _bands(values: list[str], known: tuple[str, ...], name: str) -> list[str]:
    if not set(values) <= set(known):
        raise Invalid("bad_details", field=name)
    return [v for v in known if v in set(values)]  # the vocabulary's order, each once


def checked_household(household: Household) -> Household:
    """The household in canonical form; `Invalid` names the field that breaks a rule."""
    if not isinstance(household.size, int) or not 1 <= household.size <= HOUSEHOLD_SIZE_MAX:
        raise Invalid("bad_details", field="household_size")
    bands = _bands(household.child_age_bands, CHILD_AGE_BANDS, "child_age_bands")
    if bands and household.size < 2:
        # Children live with her: the household counts at least her and one child.
        raise Invalid("household_children_need_size")
    needs = _bands(household.needs, HOUSEHOLD_NEEDS, "household_needs")
    return Household(size=household.size, child_age_bands=bands, needs=needs)


def checked_offer(offer: FamilyOffer) -> FamilyOffer:
    """The offer in canonical form: without families welcome, no size and no ages."""
    if not offer.families_welcome:
        return FamilyOffer()
    size = offer.max_household
    if size is not None and (not isinstance(size, int) or not 2 <= size <= HOUSEHOLD_SIZE_MAX):
        raise Invalid("bad_details", field="max_household")
    bands = _bands(offer.child_age_bands, CHILD_AGE_BANDS, "child_age_bands")
    return FamilyOffer(families_welcome=True, max_household=size, child_age_bands=bands)


def minors_for(minors: bool, household: Household) -> bool:
    """The certificate rule's flag: said so, or children's age bands given."""
    return bool(minors) or bool(household.child_age_bands)


def apply_household(newcomer: Newcomer, household: Household, minors: bool) -> None:
    """Store a checked household, and keep `minors` true when children live there."""
    newcomer.household_size = household.size
    newcomer.child_age_bands = list(household.child_age_bands)
    newcomer.household_needs = list(household.needs)
    newcomer.minors = minors_for(minors, household)


def household_of(newcomer: Newcomer) -> Household:
    """A newcomer's stored household."""
    return Household(
        size=newcomer.household_size,
        child_age_bands=list(newcomer.child_age_bands or []),
        needs=list(newcomer.household_needs or []),
    )


def apply_offer(volunteer: Volunteer, offer: FamilyOffer) -> None:
    """Store a checked family offer."""
    volunteer.families_welcome = offer.families_welcome
    volunteer.max_household = offer.max_household
    volunteer.child_age_bands = list(offer.child_age_bands)


def change_offer(volunteer: Volunteer, offer: FamilyOffer, actor: User) -> None:
    """A coordinator records the volunteer's family offer (audited)."""
    if volunteer.anonymised_at is not None:
        raise Conflict("erased")
    apply_offer(volunteer, checked_offer(offer))
    audit.about("volunteer.household_update", volunteer, actor)


def offer_of(volunteer: Volunteer) -> FamilyOffer:
    """A volunteer's stored family offer."""
    return FamilyOffer(
        families_welcome=volunteer.families_welcome,
        max_household=volunteer.max_household,
        child_age_bands=list(volunteer.child_age_bands or []),
    )


def export(person: Newcomer | Volunteer) -> dict[str, object]:
    """The household data of one person, for the Art. 15 export."""
    if isinstance(person, Newcomer):
        return {
            "household_size": person.household_size,
            "child_age_bands": list(person.child_age_bands or []),
            "household_needs": list(person.household_needs or []),
        }
    return {
        "families_welcome": person.families_welcome,
        "max_household": person.max_household,
        "child_age_bands": list(person.child_age_bands or []),
    }
