"""Data protection duties done by the software: access, erasure and retention.

- `person_data`: everything stored about one person, as JSON (Art. 15 and 20 DSGVO).
- `erase`: Art. 17, through `matcher.services.people.erasure` (anonymous counts stay).
- `purge`: the daily retention job. It anonymises people past their agency's retention
  period, removes certificate-of-good-conduct records of volunteers who left, and deletes
  sign-ups never confirmed. It is idempotent: a second run finds nothing left to do.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update

from matcher.domain import audit
from matcher.domain.vocab import OPEN_MATCH_STATUSES, mask_to_slots
from matcher.extensions import db
from matcher.models import (
    Agency,
    AuditEvent,
    CheckIn,
    ConsentRecord,
    FirstMeeting,
    Match,
    MatchEvent,
    Newcomer,
    PairRule,
    User,
    Volunteer,
    utcnow,
)
from matcher.models.search import fold, matches_every_word
from matcher.services.lists import imports
from matcher.services.people import erasure, households, notes, onboarding, profile_history, signup
from matcher.services.platform import outbox, staff_sessions

FORMAT = "matcher.person-data/1"
#: The largest id a table can hold (PostgreSQL INTEGER); a longer number is nobody's.
MAX_ID = 2**31 - 1
#: Days after which a retention month is counted (a month of 30.44 days, on the safe side).
DAYS_PER_MONTH = 30.44


# --------------------------------------------------------------------------- Art. 15 / 20


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _columns(obj: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    return {
        c.key: _value(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in set(skip)
    }


#: What an Art. 15 export leaves out of a Patenschaft: the partner and the staff (other
#: people's data), and staff's free text about the pair, which can name the partner
#: ("Carla zieht bald um", feat B17). Technical columns go too.
MATCH_NOT_EXPORTED = (
    "version",
    "agency_id",
    "run_id",
    "volunteer_id",
    "newcomer_id",
    "approved_by_id",
    "started_by_id",
    "ended_by_id",
    "rejected_by_id",
    "picked_by_id",
    "reject_reason",
    "reasons",
    "attention",
    "attention_since",
)


def person_data(person: Volunteer | Newcomer, actor: User | None) -> dict[str, Any]:
    """Everything stored about a person: profile, languages, consents, Patenschaften, log."""
    kind = "volunteer" if isinstance(person, Volunteer) else "newcomer"
    owner = ConsentRecord.volunteer_id if kind == "volunteer" else ConsentRecord.newcomer_id
    side = Match.volunteer_id if kind == "volunteer" else Match.newcomer_id
    skip = ("token_version", "certificate_inspected_by_id", "created_by_id", "search_key")
    profile = _columns(person, skip)
    profile["slots"] = mask_to_slots(person.slots)
    matches = []
    notes_left_out = 0
    for match in db.session.scalars(select(Match).where(side == person.id).order_by(Match.id)):
        entry = _columns(match, MATCH_NOT_EXPORTED)
        notes_left_out += sum(1 for e in match.events if e.note) + bool(match.reject_reason)
        entry["history"] = [
            _columns(e, ("id", "match_id", "actor_id", "note"))
            for e in db.session.scalars(
                select(MatchEvent).where(MatchEvent.match_id == match.id).order_by(MatchEvent.id)
            )
        ]
        check_ins = list(
            db.session.scalars(
                select(CheckIn).where(CheckIn.match_id == match.id).order_by(CheckIn.id)
            )
        )
        notes_left_out += sum(1 for c in check_ins if c.note)
        entry["check_ins"] = [
            _columns(c, ("id", "match_id", "agency_id", "done_by_id", "note")) for c in check_ins
        ]
        meeting = db.session.scalar(select(FirstMeeting).where(FirstMeeting.match_id == match.id))
        entry["first_meeting"] = (
            _columns(meeting, ("id", "match_id", "agency_id", "updated_by_id")) if meeting else None
        )
        matches.append(entry)
    # -- issue 13 (engine helper): pairs pinned or forbidden by a coordinator. The partner
    # and the staff's reason (which can name the partner) are left out, the reason counted.
    rule_owner = PairRule.volunteer_id if kind == "volunteer" else PairRule.newcomer_id
    pair_rules = []
    for rule in db.session.scalars(
        select(PairRule).where(rule_owner == person.id).order_by(PairRule.id)
    ):
        pair_rules.append({"kind": rule.kind, "created_at": _value(rule.created_at)})
        notes_left_out += bool(rule.reason)
    # -- end issue 13
    log = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == kind, AuditEvent.object_id == person.id)
        .order_by(AuditEvent.id)
    )
    data = {
        "format": FORMAT,
        "exported_at": utcnow().isoformat(),
        "kind": kind,
        "agency": db.session.get(Agency, person.agency_id).name,  # type: ignore[union-attr]
        "profile": profile,
        "languages": {lang.code: lang.level for lang in person.languages},
        "consents": [
            _columns(c, ("volunteer_id", "newcomer_id", "agency_id"))
            for c in db.session.scalars(
                select(ConsentRecord).where(owner == person.id).order_by(ConsentRecord.id)
            )
        ],
        "patenschaften": matches,
        "pair_rules": pair_rules,
        # Staff notes about a pair can carry the partner's data (Art. 15(4)): they are left
        # out here, counted, and given by hand after a look at each.
        "notes_left_out": notes_left_out,
        "processing_log": [{"at": _value(e.at), "action": e.action} for e in log],
    }
    # Data quality: the history of the person's details, oldest first (who changed them is
    # said by role, never by a staff member's name).
    data["profile_history"] = [
        {
            "at": _value(c.at),
            "field": c.field,
            "old_value": c.old_value,
            "new_value": c.new_value,
            "source": c.source,
        }
        for c in reversed(profile_history.history(person))
    ]
    # Households and onboarding (issue 13): the household (a newcomer's) or the families
    # welcomed (a volunteer's), and the onboarding steps a volunteer has done.
    data["household"] = households.export(person)
    if isinstance(person, Volunteer):
        data["onboarding"] = onboarding.export(person)
    # Notes and contacts (matcher.services.people.notes): the entries about the person and
    # about their Patenschaften, with earlier versions and their log; no staff or partner.
    data["notes_and_contacts"] = notes.export_about(person)
    audit.about(f"{kind}.data_export", person, actor)
    return data


def find_people(query: str, limit: int = 50) -> tuple[list[Volunteer], list[Newcomer]]:
    """Volunteers (by name or email) and newcomers (by first name or number) for a search.

    Every word of the query must occur in the person's names or e-mail, in any order.
    """
    text = fold(query)
    if not text:
        return [], []
    volunteers = db.session.scalars(
        select(Volunteer)
        .where(Volunteer.anonymised_at.is_(None), matches_every_word(Volunteer.search_key, text))
        .order_by(Volunteer.last_name, Volunteer.id)
        .limit(limit)
    ).all()
    newcomer_filter: ColumnElement[bool] = matches_every_word(Newcomer.search_key, text)
    if text.isdecimal() and int(text) <= MAX_ID:
        newcomer_filter = or_(newcomer_filter, Newcomer.id == int(text))
    newcomers = db.session.scalars(
        select(Newcomer)
        .where(Newcomer.anonymised_at.is_(None), newcomer_filter)
        .order_by(Newcomer.first_name, Newcomer.id)
        .limit(limit)
    ).all()
    return list(volunteers), list(newcomers)


# --------------------------------------------------------------------------- retention


@dataclass
class PurgeReport:
    """What one purge run did."""

    volunteers_anonymised: int = 0
    newcomers_anonymised: int = 0
    certificates_removed: int = 0
    unconfirmed_deleted: int = 0
    mails_deleted: int = 0
    uploads_deleted: int = 0
    sign_ins_deleted: int = 0

    @property
    def total(self) -> int:
        """Every change made."""
        return (
            self.volunteers_anonymised
            + self.newcomers_anonymised
            + self.certificates_removed
            + self.unconfirmed_deleted
            + self.mails_deleted
            + self.uploads_deleted
            + self.sign_ins_deleted
        )


def _last_activity(
    person: Volunteer | Newcomer, matches: list[Match]
) -> tuple[datetime, bool, bool]:
    """The person's last touch, whether a match is still open, whether one ever started."""
    moments = [person.created_at, person.updated_at]
    for m in matches:
        moments += [t for t in (m.proposed_at, m.started_at, m.ended_at, m.rejected_at) if t]
    is_open = any(m.status in OPEN_MATCH_STATUSES for m in matches)
    started = any(m.started_at is not None for m in matches)
    return max(moments), is_open, started


def past_retention(person: Volunteer | Newcomer, matches: list[Match], cutoff: datetime) -> bool:
    """Whether the retention period of this person is over.

    Applicants who never became active, and people whose last Patenschaft ended, are kept
    for the agency's retention period after their last activity. People still in the pool
    (active volunteers, waiting newcomers) stay, unless a Patenschaft of theirs ended long
    ago and nothing happened since.
    """
    last, is_open, started = _last_activity(person, matches)
    if is_open or last >= cutoff:
        return False
    in_pool = person.status == ("active" if isinstance(person, Volunteer) else "waiting")
    return not in_pool or started


def purge(
    now: datetime | None = None,
    unconfirmed_days: int | None = None,
    sent_mail_days: int | None = None,
) -> PurgeReport:
    """The daily retention job over every agency; safe to run again at any time.

    Runs in an all-agencies scope and as one transaction: the command commits it.
    """
    now = now or utcnow()
    report = PurgeReport()
    for agency in db.session.scalars(select(Agency).order_by(Agency.id)):
        cutoff = now - timedelta(days=agency.retention_months * DAYS_PER_MONTH)
        report.volunteers_anonymised += _anonymise(Volunteer, agency, cutoff, now.date())
        report.newcomers_anonymised += _anonymise(Newcomer, agency, cutoff, now.date())
        report.certificates_removed += _remove_certificates(agency)
    report.unconfirmed_deleted = signup.purge_unconfirmed(unconfirmed_days)
    # Sent mails hold names and links: they go after a while too.
    report.mails_deleted = outbox.purge_sent(sent_mail_days, now=now)
    # Uploaded lists nobody imported hold whole lists of people (L11).
    report.uploads_deleted = imports.purge_stash(now.timestamp())
    # Staff sign-ins and ended sessions hold staff members' addresses and browsers.
    report.sign_ins_deleted = staff_sessions.purge(now)
    return report


def _anonymise(model: Any, agency: Agency, cutoff: datetime, on: date) -> int:
    people = db.session.scalars(
        select(model).where(
            model.agency_id == agency.id,
            model.anonymised_at.is_(None),
            model.created_at < cutoff,
        )
    ).all()
    if not people:
        return 0
    side = Match.volunteer_id if model is Volunteer else Match.newcomer_id
    by_person: dict[int, list[Match]] = {}
    for match in db.session.scalars(select(Match).where(Match.agency_id == agency.id)):
        by_person.setdefault(getattr(match, side.key), []).append(match)
    count = 0
    for person in people:
        if past_retention(person, by_person.get(person.id, []), cutoff):
            if isinstance(person, Volunteer):
                erasure.erase_volunteer(person, None, on=on)
            else:
                erasure.erase_newcomer(person, None, on=on)
            count += 1
    return count


def _remove_certificates(agency: Agency) -> int:
    """§72a SGB VIII: a volunteer who left keeps no certificate record (removed at once)."""
    ids = list(
        db.session.scalars(
            select(Volunteer.id).where(
                Volunteer.agency_id == agency.id,
                Volunteer.status == "inactive",
                Volunteer.certificate_inspected_on.is_not(None)
                | Volunteer.certificate_issued_on.is_not(None)
                | Volunteer.certificate_result.is_not(None),
            )
        )
    )
    if not ids:
        return 0
    # updated_at is kept as it was: removing the record is not activity of the person,
    # and must not restart their retention period.
    db.session.execute(
        update(Volunteer)
        .where(Volunteer.id.in_(ids))
        .values(
            certificate_inspected_on=None,
            certificate_issued_on=None,
            certificate_result=None,
            certificate_inspected_by_id=None,
            can_show_certificate=False,
            updated_at=Volunteer.updated_at,
        )
        .execution_options(synchronize_session=False)
    )
    for volunteer_id in ids:
        audit.record(
            db.session,
            "volunteer.certificate_removed",
            actor=None,
            object_type="volunteer",
            object_id=volunteer_id,
            agency_id=agency.id,
        )
    return len(ids)
