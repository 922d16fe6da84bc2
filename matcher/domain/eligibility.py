"""Who can be matched, written once: each rule a SQL expression with its Python twin.

The models mix these rules in (`Volunteer.available`, `Newcomer.needs_certificate`, …),
so a query composes them (`select(Volunteer).where(Volunteer.available)`) and code that
holds a loaded person asks the same rule (`volunteer.available`). The problem builder,
the settings preview, the figures, the shortage page, approval and the certificate
lists all ask these rules; `tests/domain/test_eligibility.py` shows each twin agrees
with its SQL on both databases.

- A volunteer **takes part** in the matching when active, confirmed, not erased,
  consenting to matching, speaking at least one language and done with every step of
  their agency's onboarding checklist that the agency requires before matching (and has
  not archived); they are **available**
  when they also have a free place (fewer decided Patenschaften than their capacity).
- A certificate of good conduct is **valid on a day** when it was inspected, showed no
  entries and was issued less than `CERTIFICATE_VALID_YEARS` years before that day
  (§72a SGB VIII practice); an expired one counts as none.
- A newcomer **needs a certificate** from their volunteer when children live in the
  household *or* the newcomer is under 18.
- A newcomer **waits for a match** when waiting, not erased, consenting to matching and
  speaking at least one language.
- A pair is **ruled out** for good once it was rejected or a Patenschaft of the two ended:
  the engine never proposes it again.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property

from matcher.domain.vocab import DECIDED_MATCH_STATUSES

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapped

#: A certificate must be renewed this many years after its issue date.
CERTIFICATE_VALID_YEARS = 5
#: Statuses of a pair that rule it out for good.
RULED_OUT_MATCH_STATUSES = ("rejected", "ended")


def certificate_expires_on(issued_on: date) -> date:
    """The first day on which a certificate issued on `issued_on` no longer counts."""
    try:
        return issued_on.replace(year=issued_on.year + CERTIFICATE_VALID_YEARS)
    except ValueError:  # 29 February
        return issued_on.replace(year=issued_on.year + CERTIFICATE_VALID_YEARS, day=28)


def certificate_cutoff(on: date) -> date:
    """The latest issue date whose certificate has expired on `on`.

    A certificate is valid on `on` exactly when it was issued after this day, which lets
    the database compare a plain date (no date arithmetic that differs by backend).
    """
    try:
        cutoff = on.replace(year=on.year - CERTIFICATE_VALID_YEARS)
    except ValueError:  # 29 February
        cutoff = on.replace(year=on.year - CERTIFICATE_VALID_YEARS, day=28)
    # 29 February expires with 28 February: step over the days that expire on `on` too.
    while certificate_expires_on(cutoff + timedelta(days=1)) <= on:
        cutoff += timedelta(days=1)
    return cutoff


def _has_consent(person: Any, purpose: str) -> bool:
    """An active (given, not withdrawn) consent for this purpose."""
    return any(c.purpose == purpose and c.withdrawn_at is None for c in person.consents)


def _consent_sql(cls: Any, purpose: str) -> ColumnElement[bool]:
    return cls.consents.any(purpose=purpose, withdrawn_at=None)  # type: ignore[no-any-return]


def _missing_onboarding_sql(cls: Any) -> ColumnElement[bool]:
    """A required, not archived step of the volunteer's agency they have not done."""
    from matcher.models.onboarding import OnboardingDone, OnboardingStep

    done = (
        select(OnboardingDone.id)
        .where(OnboardingDone.volunteer_id == cls.id, OnboardingDone.step_id == OnboardingStep.id)
        .correlate_except(OnboardingDone)
        .exists()
    )
    return (
        select(OnboardingStep.id)
        .where(
            OnboardingStep.agency_id == cls.agency_id,
            OnboardingStep.required_for_matching.is_(True),
            OnboardingStep.archived_at.is_(None),
            ~done,
        )
        .correlate_except(OnboardingStep)
        .exists()
    )


class VolunteerRules:
    """The eligibility rules of a volunteer (mixed into `matcher.models.Volunteer`)."""

    if TYPE_CHECKING:
        id: Mapped[int]
        status: Mapped[str]
        capacity: Mapped[int]
        email_confirmed_at: Mapped[Any]
        anonymised_at: Mapped[Any]
        certificate_inspected_on: Mapped[date | None]
        certificate_issued_on: Mapped[date | None]
        certificate_result: Mapped[str | None]
        languages: Mapped[list[Any]]
        consents: Mapped[list[Any]]
        matches: Mapped[list[Any]]
        agency_id: Mapped[int]
        onboarding_steps: Mapped[list[Any]]
        onboarding_done: Mapped[list[Any]]

    def _certificate_valid_on(self, on: date) -> bool:
        """An inspected certificate without entries, issued less than five years before `on`."""
        return (
            self.certificate_inspected_on is not None
            and self.certificate_result == "clear"
            and self.certificate_issued_on is not None
            and self.certificate_issued_on > certificate_cutoff(on)
        )

    def _certificate_valid_on_sql(cls: Any, on: date) -> ColumnElement[bool]:  # noqa: N805
        return and_(
            cls.certificate_inspected_on.is_not(None),
            cls.certificate_result == "clear",
            cls.certificate_issued_on.is_not(None),
            cls.certificate_issued_on > certificate_cutoff(on),
        )

    certificate_valid_on = hybrid_method(_certificate_valid_on, _certificate_valid_on_sql)

    consents_to = hybrid_method(_has_consent, _consent_sql)

    def missing_onboarding(self) -> list[Any]:
        """The steps of the agency's checklist, required before matching and not archived,
        that the volunteer has not done yet (in the checklist's order)."""
        done = {d.step_id for d in self.onboarding_done}
        return sorted(
            (
                step
                for step in self.onboarding_steps
                if step.required_for_matching and step.archived_at is None
                and step.id not in done
            ),
            key=lambda step: (step.position, step.id),
        )  # fmt: skip

    def refusal(self) -> str | None:
        """Why the volunteer takes no part in the matching now (a message code), or None."""
        if self.anonymised_at is not None or self.status != "active" or not self.languages:
            return "volunteer_not_active"
        if self.email_confirmed_at is None:
            return "volunteer_not_confirmed"
        if not _has_consent(self, "matching"):
            return "volunteer_no_consent"
        if self.missing_onboarding():
            return "volunteer_onboarding_missing"
        return None

    def refusal_params(self) -> dict[str, Any]:
        """What the message of `refusal()` names: the onboarding steps still missing."""
        missing = self.missing_onboarding()
        return {"steps": [step.name for step in missing]} if missing else {}

    @hybrid_property
    def takes_part(self) -> bool:
        """Active, confirmed, not erased, consenting to matching, speaking a language, and
        done with every onboarding step their agency requires before matching."""
        return self.refusal() is None

    @takes_part.inplace.expression
    @classmethod
    def _takes_part_sql(cls) -> ColumnElement[bool]:
        return and_(
            cls.status == "active",
            cls.email_confirmed_at.is_not(None),
            cls.anonymised_at.is_(None),
            cls.languages.any(),
            _consent_sql(cls, "matching"),
            ~_missing_onboarding_sql(cls),
        )

    @hybrid_property
    def places_taken(self) -> int:
        """How many Patenschaften a person decided on (approved, active, paused) they hold."""
        return sum(1 for m in self.matches if m.status in DECIDED_MATCH_STATUSES)

    @places_taken.inplace.expression
    @classmethod
    def _places_taken_sql(cls) -> ColumnElement[int]:
        from matcher.models.match import Match

        return (
            select(func.count(Match.id))
            .where(Match.volunteer_id == cls.id, Match.status.in_(DECIDED_MATCH_STATUSES))
            .correlate_except(Match)
            .scalar_subquery()
        )

    @hybrid_property
    def available(self) -> bool:
        """Takes part and has a free place: the next run may propose them."""
        return bool(self.takes_part) and self.capacity > self.places_taken

    @available.inplace.expression
    @classmethod
    def _available_sql(cls) -> ColumnElement[bool]:
        return and_(cls.takes_part, cls.capacity > cls.places_taken)

    @hybrid_property
    def in_pool(self) -> bool:
        """Signed up and confirmed, or active, and not erased: someone the agency may still
        match, and so someone whose certificate matters."""
        return (
            self.status in ("applied", "active")
            and self.email_confirmed_at is not None
            and self.anonymised_at is None
        )

    @in_pool.inplace.expression
    @classmethod
    def _in_pool_sql(cls) -> ColumnElement[bool]:
        return and_(
            cls.status.in_(("applied", "active")),
            cls.email_confirmed_at.is_not(None),
            cls.anonymised_at.is_(None),
        )


class NewcomerRules:
    """The eligibility rules of a newcomer (mixed into `matcher.models.Newcomer`)."""

    if TYPE_CHECKING:
        status: Mapped[str]
        minors: Mapped[bool]
        age_band: Mapped[str]
        anonymised_at: Mapped[Any]
        languages: Mapped[list[Any]]
        consents: Mapped[list[Any]]

    @hybrid_property
    def needs_certificate(self) -> bool:
        """Children in the household, or the newcomer is under 18 (§72a SGB VIII)."""
        return bool(self.minors) or self.age_band == "under_18"

    @needs_certificate.inplace.expression
    @classmethod
    def _needs_certificate_sql(cls) -> ColumnElement[bool]:
        return or_(cls.minors.is_(True), cls.age_band == "under_18")

    consents_to = hybrid_method(_has_consent, _consent_sql)

    def refusal(self) -> str | None:
        """Why the newcomer is not waiting for a match now (a message code), or None."""
        if self.anonymised_at is not None or self.status != "waiting" or not self.languages:
            return "newcomer_not_waiting"
        if not _has_consent(self, "matching"):
            return "newcomer_no_consent"
        return None

    @hybrid_property
    def waits_for_match(self) -> bool:
        """Waiting, not erased, consenting to matching, speaking a language."""
        return self.refusal() is None

    @waits_for_match.inplace.expression
    @classmethod
    def _waits_for_match_sql(cls) -> ColumnElement[bool]:
        return and_(
            cls.status == "waiting",
            cls.anonymised_at.is_(None),
            cls.languages.any(),
            _consent_sql(cls, "matching"),
        )


class MatchRules:
    """The rules of a pair (mixed into `matcher.models.Match`)."""

    if TYPE_CHECKING:
        status: Mapped[str]

    @hybrid_property
    def rules_out_pair(self) -> bool:
        """Rejected, or a Patenschaft of the two ended: never proposed again."""
        return self.status in RULED_OUT_MATCH_STATUSES

    @rules_out_pair.inplace.expression
    @classmethod
    def _rules_out_pair_sql(cls) -> ColumnElement[bool]:
        return cls.status.in_(RULED_OUT_MATCH_STATUSES)
