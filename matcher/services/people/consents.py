"""A newcomer's consents, managed per purpose by staff: given later, given again, withdrawn.

Newcomers have no account: a coordinator (or an admin acting as the agency) records what
the newcomer said, often through an interpreter. Each consent keeps the language and
version of the privacy notice that was shown, the channel, the interpreter's role (never a
name) and who took it. A withdrawal never deletes: it stamps the record, so the history
shows every version. At most one consent per purpose is in force (a partial unique index),
so a double submit or two coordinators at once get a conflict, not a second consent.

A withdrawn consent to matching takes the newcomer out of matching through the domain's
transition (`transitions.NEWCOMER["withdraw_consent"]`); her eligibility
(`Newcomer.waits_for_match`) asks for consent anyway, so consent given again puts her back
in the pool when her status is "waiting".
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from matcher.domain import audit, transitions
from matcher.domain.errors import Conflict, Invalid, NotFound, Refused
from matcher.domain.locales import DOCUMENT_LANGUAGES
from matcher.domain.vocab import CONSENT_CHANNELS, CONSENT_PURPOSES, INTERPRETER_ROLES
from matcher.extensions import db
from matcher.models import Agency, ConsentRecord, Newcomer, User, utcnow
from matcher.services.platform import document_texts

#: The channels staff record a newcomer's consent on (online is the volunteers' own).
STAFF_CHANNELS = tuple(c for c in CONSENT_CHANNELS if c != "online")


@dataclass
class Taking:
    """How a consent was taken: the notice's language, the channel, the interpreter's role."""

    language: str
    channel: str
    interpreter_role: str | None = None


def notice_version_for(agency: Agency, language: str, *, newcomer: bool = True) -> str:
    """Which privacy notice a consent given today was given on, as the consent stores it.

    A newcomer's: the agency's newcomer notice in `language` (`document_texts`: its own
    version number, or the shipped text's reference); a notice explained in a language we
    have no document in was explained from the German one, so the German version counts.
    A volunteer's (an import of volunteers): the agency's volunteer notice.
    """
    if not newcomer:
        return agency.privacy_notice_version
    shown = language if language in DOCUMENT_LANGUAGES else "de"
    return document_texts.current_version(agency, "privacy_notice", shown).reference


def default_language(newcomer: Newcomer) -> str:
    """The notice language to offer first: the language of her letters."""
    return newcomer.correspondence_language


def _document_language(code: str) -> bool:
    return code in DOCUMENT_LANGUAGES


def check_taking(taking: Taking, known: Callable[[str], bool] = _document_language) -> None:
    """Refuse a language, channel or interpreter's role that cannot be recorded.

    :param known: which notice languages count: those of the newcomer documents, unless
        the caller says otherwise (the intake form still offers every spoken language).
    :raises Invalid: "bad_details" naming the field.
    """
    if not known(taking.language):
        raise Invalid("bad_details", field="consent_language")
    if taking.channel not in STAFF_CHANNELS:
        raise Invalid("bad_details", field="consent_channel")
    if taking.channel == "interpreter":
        if taking.interpreter_role not in INTERPRETER_ROLES:
            raise Invalid("bad_details", field="interpreter_role")
    elif taking.interpreter_role:
        raise Invalid("bad_details", field="interpreter_role")


def record(
    agency: Agency, newcomer: Newcomer, purpose: str, taking: Taking, actor: User
) -> ConsentRecord:
    """Add one consent record as staff took it (the caller checked `taking`); flush."""
    consent = ConsentRecord(
        agency_id=agency.id,
        newcomer_id=newcomer.id,
        purpose=purpose,
        notice_version=notice_version_for(agency, taking.language),
        language=taking.language,
        channel=taking.channel,
        interpreter_role=taking.interpreter_role if taking.channel == "interpreter" else None,
        taken_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(consent)
            db.session.flush()
    except IntegrityError:  # given meanwhile, by a double submit or a colleague
        raise Conflict("consent_in_force") from None
    return consent


def history(newcomer: Newcomer) -> list[ConsentRecord]:
    """Every consent record of a newcomer, given and withdrawn, newest first."""
    return list(
        db.session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.newcomer_id == newcomer.id)
            .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
        )
    )


def in_force(newcomer: Newcomer) -> dict[str, ConsentRecord]:
    """The newcomer's consents in force, by purpose."""
    return {c.purpose: c for c in history(newcomer) if c.withdrawn_at is None}


def _check_person(newcomer: Newcomer) -> None:
    if newcomer.anonymised_at is not None:
        raise Refused("erased")


def give(
    agency: Agency, newcomer: Newcomer, purpose: str, taking: Taking, actor: User
) -> ConsentRecord:
    """Record a consent for a purpose not in force: given later, or again after a withdrawal.

    :raises Invalid: an unknown purpose, language, channel or interpreter's role.
    :raises Conflict: "consent_in_force" — the purpose is in force already.
    """
    _check_person(newcomer)
    if purpose not in CONSENT_PURPOSES:
        raise Invalid("bad_details", field="purpose")
    check_taking(taking)
    if purpose in in_force(newcomer):
        raise Conflict("consent_in_force")
    consent = record(agency, newcomer, purpose, taking, actor)
    audit.about(f"newcomer.consent_give.{purpose}", newcomer, actor)
    db.session.expire(newcomer, ["consents"])
    return consent


def withdraw(newcomer: Newcomer, consent_id: int, actor: User, *, on: date) -> ConsentRecord:
    """Record the withdrawal of one consent in force; the record stays, stamped.

    Without consent to matching the newcomer leaves the matching (the domain's
    transition): her proposals go, a Patenschaft not yet started ends, a running one is
    flagged for the coordinator. Withdrawing contact sharing touches nothing else.

    :raises NotFound: no such consent of this newcomer.
    :raises Conflict: "no_consent_in_force" — withdrawn already (a double submit, a colleague).
    """
    _check_person(newcomer)
    consent = db.session.get(ConsentRecord, consent_id)
    if consent is None or consent.newcomer_id != newcomer.id:
        raise NotFound("not_found")
    # Conditional: of two withdrawals at once exactly one stamps the record.
    result = db.session.execute(
        update(ConsentRecord)
        .where(ConsentRecord.id == consent.id, ConsentRecord.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow(), withdrawn_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("no_consent_in_force")
    db.session.refresh(consent)
    audit.about(f"newcomer.consent_withdraw.{consent.purpose}", newcomer, actor)
    db.session.expire(newcomer, ["consents"])
    if consent.purpose == "matching":
        transitions.apply(newcomer, "withdraw_consent", actor=actor, on=on)
    return consent
