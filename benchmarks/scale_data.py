"""The scale benchmark's dataset: many agencies of realistic shape, written in bulk.

Every agency is a demo agency (`matcher.demo.generate`: the Cologne mix of names,
languages, postcodes, times and topics) with two years of history on top: consents (some
withdrawn), Patenschaften in every status with their events and check-ins, the proposals
of the last run, rejected pairs, a dozen runs, erased people, audit entries and the last
month's mail in the outbox.

Rows of all agencies are interleaved as they arrive in a real installation, where every
agency gets sign-ups every day: row k of every agency, then row k+1 of every agency. So
one agency's people are spread over the whole table and the whole id range, not lying in
one block that a scan would find cheaply by accident.

Ids are given, not drawn from sequences, so that references can be written before the rows
they point to: row k of the agency at position p of A gets id `k * A + p + 1`, which is
its place in the interleaved table. PostgreSQL's sequences are set past them afterwards;
SQLite's AUTOINCREMENT follows given ids by itself.

PostgreSQL is loaded with `COPY` (psycopg), other databases with executemany. Columns the
generator leaves out get the model's default, so a column added later with a default
needs no change here.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import JSON, Connection, Table, func, insert, select, text
from werkzeug.security import generate_password_hash

from matcher.demo import generate
from matcher.domain.vocab import (
    CLOSING_END_REASONS,
    DEFAULT_WEIGHTS,
    END_REASONS,
    UMBRELLAS,
    slots_to_mask,
)
from matcher.models import Base
from matcher.models.base import UTCDateTime
from matcher.models.search import search_key

#: What the generator writes of each table, in the order it is written (references point
#: backwards); the rest of a table's columns get their defaults.
COLUMNS: dict[str, tuple[str, ...]] = {
    "agencies": (
        "id", "slug", "name", "umbrella", "city", "privacy_contact", "max_distance_km",
        "weights", "retention_months", "checkin_interval_weeks", "trial_weeks",
        "privacy_notice_version", "privacy_notice_text", "created_at",
    ),
    "users": (
        "id", "email", "name", "password_hash", "active", "role", "agency_id",
        "session_version", "created_at", "last_login_at",
    ),
    "volunteers": (
        "id", "agency_id", "first_name", "last_name", "email", "email_confirmed_at", "phone",
        "postcode", "lat", "lon", "age_band", "gender", "slots", "topics", "capacity",
        "status", "motivation", "can_show_certificate", "certificate_inspected_on",
        "certificate_issued_on", "certificate_result", "certificate_inspected_by_id",
        "created_at", "updated_at", "anonymised_at", "locale", "token_version", "search_key",
    ),
    "volunteer_languages": ("volunteer_id", "code", "level"),
    "newcomers": (
        "id", "agency_id", "first_name", "contact_note", "postcode", "lat", "lon", "age_band",
        "slots", "topics", "minors", "mentor_gender", "status", "waiting_since",
        "created_by_id", "created_at", "updated_at", "anonymised_at", "external_ref",
        "search_key",
    ),
    "newcomer_languages": ("newcomer_id", "code", "level"),
    "consent_records": (
        "agency_id", "volunteer_id", "newcomer_id", "purpose", "notice_version", "language",
        "given_at", "withdrawn_at", "channel", "taken_by_id",
    ),
    "match_runs": (
        "id", "agency_id", "started_at", "started_by_id", "status", "parameters", "volunteers",
        "newcomers", "feasible_pairs", "pairs", "seconds", "unmatched",
    ),
    "matches": (
        "id", "agency_id", "volunteer_id", "newcomer_id", "run_id", "status", "score",
        "components", "reasons", "proposed_at", "approved_at", "approved_by_id", "started_at",
        "started_by_id", "trial_until", "ended_at", "ended_by_id", "end_reason", "rejected_at",
        "rejected_by_id", "reject_reason", "picked_by_id", "attention", "attention_since",
        "version",
    ),
    "match_events": ("match_id", "from_status", "to_status", "at", "actor_id", "note"),
    "check_ins": (
        "agency_id", "match_id", "due_on", "done_at", "held_on", "done_by_id", "light", "note",
        "reminded_at",
    ),
    "audit_events": ("at", "actor_id", "action", "object_type", "object_id", "agency_id"),
    "outbox_messages": (
        "created_at", "kind", "to_address", "subject", "body", "status", "attempts",
        "next_attempt_at", "locked_until", "last_error", "sent_at",
    ),
}  # fmt: skip
TABLES = tuple(COLUMNS)
#: Tables whose ids the generator gives (the others are numbered by the database).
GIVEN_IDS = ("agencies", "users", "volunteers", "newcomers", "match_runs", "matches")

#: Of an agency's newcomers: the share in a running (approved, active, paused)
#: Patenschaft, with a proposal of the last run, with a Patenschaft that ended, and with a
#: rejected proposal.
RUNNING, PROPOSED, ENDED, REJECTED = 0.20, 0.15, 0.12, 0.06
#: Runs each agency made (weekly), audit entries per person, mails kept per volunteer (sent
#: mail is purged after 30 days), and the share of people erased.
RUNS, AUDIT_PER_PERSON, MAIL_PER_VOLUNTEER, ERASED = 12, 2.0, 0.05, 0.02
CHECKIN_WEEKS, TRIAL_WEEKS = 10, 4
CITIES = (
    "Aachen", "Bielefeld", "Bochum", "Bonn", "Dortmund", "Duisburg", "Düsseldorf", "Essen",
    "Gelsenkirchen", "Hagen", "Hamm", "Herne", "Köln", "Krefeld", "Leverkusen", "Münster",
    "Mönchengladbach", "Mülheim", "Oberhausen", "Paderborn", "Recklinghausen", "Siegen",
    "Solingen", "Wuppertal",
)  # fmt: skip
#: (action, object type, weight) of the audit log's entries.
AUDIT_ACTIONS = (
    ("volunteer.view", "volunteer", 35), ("newcomer.view", "newcomer", 30),
    ("match.view", "match", 12), ("match.approve", "match", 5),
    ("checkin.record", "checkin", 6), ("checkin.view", "checkin", 4),
    ("volunteer.certificate_inspected", "volunteer", 3), ("match.run", "match_run", 2),
    ("export.volunteers", "agency", 1), ("agency.act_as", "agency", 2),
)  # fmt: skip
PASSWORD = "scale-benchmark"  # noqa: S105 - the logins of a throwaway database
# One PBKDF2 round: logging in costs nothing (logins are not what is measured here).
PASSWORD_HASH = generate_password_hash(PASSWORD, "pbkdf2:sha256:1")
ADMIN_EMAIL = "admin@scale.example"


@dataclass(frozen=True)
class Shape:
    """How big: agencies, and volunteers and newcomers per agency."""

    agencies: int
    volunteers: int
    newcomers: int


def slug(index: int) -> str:
    """The slug of the agency with this global index (the same in every database)."""
    return f"agentur-{index:03d}"


def coordinator_email(index: int) -> str:
    """The login of the first coordinator of the agency with this global index."""
    return f"koordination@{slug(index)}.example"


@dataclass(frozen=True)
class Probe:
    """Ids a measurement opens in one agency: a volunteer, a newcomer, their Patenschaft."""

    agency_id: int
    volunteer_id: int
    newcomer_id: int
    match_id: int


@dataclass
class Dataset:
    """Rows per table (tuples in the order of `COLUMNS`) and the ids to open per agency."""

    rows: dict[str, list[tuple[Any, ...]]]
    probes: dict[int, Probe] = field(default_factory=dict)  # by global agency index

    def count(self) -> int:
        """All rows of all tables."""
        return sum(len(r) for r in self.rows.values())


@dataclass
class _Person:
    """What the matches need to know of a volunteer or newcomer."""

    id: int
    status: str
    erased: bool
    withdrawn: bool = True
    capacity: int = 0
    first_name: str = ""
    email: str = ""
    language: str = ""
    waiting_since: date | None = None
    data: Any = None


class _Agency:
    """One agency's rows; ids from its position among the `of` agencies of the database."""

    def __init__(self, index: int, position: int, of: int, shape: Shape, now: datetime) -> None:
        self.index, self.position, self.of = index, position, of
        self.id = position + 1
        self.shape = shape
        self.now = now
        self.today = now.date()
        self.rng = random.Random(f"scale-{index}")
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
        # Staff: the admin is user 1; each agency has two coordinators.
        self.coordinators = (2 + position, 2 + of + position)

    def add(self, table: str, **values: Any) -> tuple[Any, ...]:
        """Append a row given by column; every column of `COLUMNS[table]`, no other."""
        columns = COLUMNS[table]
        if len(values) != len(columns):
            raise ValueError(f"{table}: {sorted(set(values) ^ set(columns))}")
        row = tuple(values[c] for c in columns)
        self.rows[table].append(row)
        return row

    def given_id(self, k: int) -> int:
        """The id of this agency's k-th row of a table whose ids the generator gives."""
        return k * self.of + self.position + 1

    def ago(self, lo: float, hi: float) -> datetime:
        """A moment between `lo` and `hi` days ago."""
        return self.now - timedelta(days=self.rng.uniform(lo, hi))

    def staff(self) -> int:
        """One of the agency's coordinators, mostly the first."""
        return self.coordinators[self.rng.random() < 0.3]


def _agency(a: _Agency) -> None:
    city = CITIES[a.index % len(CITIES)]
    a.add(
        "agencies",
        id=a.id,
        slug=slug(a.index),
        name=f"Integrationsagentur {city} {a.index:03d}",
        umbrella=UMBRELLAS[a.index % len(UMBRELLAS)],
        city=city,
        privacy_contact=f"datenschutz@{slug(a.index)}.example",
        max_distance_km=15.0,
        weights=dict(DEFAULT_WEIGHTS),
        retention_months=24,
        checkin_interval_weeks=CHECKIN_WEEKS,
        trial_weeks=TRIAL_WEEKS,
        privacy_notice_version="1",
        privacy_notice_text="Wir verarbeiten Ihre Angaben nur für die Patenschaft.",
        created_at=a.now - timedelta(days=800),
    )
    for n, user_id in enumerate(a.coordinators):
        a.add(
            "users",
            id=user_id,
            email=coordinator_email(a.index) if n == 0 else f"team@{slug(a.index)}.example",
            name=f"Koordination {n + 1}",
            password_hash=PASSWORD_HASH,
            active=True,
            role="coordinator",
            agency_id=a.id,
            session_version=1,
            created_at=a.now - timedelta(days=790),
            last_login_at=a.ago(0, 3),
        )


def _consent(a: _Agency, person: _Person, side: str, language: str, given: datetime) -> None:
    """Consent to matching: online for volunteers, taken in person for newcomers; a few
    withdrawn since."""
    online = side == "volunteer_id"
    withdrawn = a.ago(0, (a.now - given).days) if a.rng.random() < 0.03 else None
    a.add(
        "consent_records",
        agency_id=a.id,
        volunteer_id=person.id if online else None,
        newcomer_id=None if online else person.id,
        purpose="matching",
        notice_version="1",
        language=language,
        given_at=given,
        withdrawn_at=withdrawn,
        channel="online" if online else "in_person",
        taken_by_id=None if online else a.staff(),
    )
    person.withdrawn = withdrawn is not None


def _volunteers(a: _Agency) -> list[_Person]:
    """The agency's volunteers, their languages and consents."""
    people = []
    for k, p in enumerate(generate.volunteers(a.shape.volunteers, a.index, a.today)):
        signed_up = a.ago(30, 730)
        erased = a.rng.random() < ERASED
        status = p.status
        if erased or (status == "active" and a.rng.random() < 0.04):
            status = "inactive"  # erased, or left and not yet past retention
        person = _Person(a.given_id(k), status, erased, capacity=p.capacity,
                         first_name=p.first_name, email=p.email)  # fmt: skip
        confirmed = (p.status != "applied" or k % 2 == 0) and not erased
        certificate = p.certificate and not erased
        issued = (signed_up - timedelta(days=20)).date() if certificate else None
        row = {
            "id": person.id, "agency_id": a.id, "first_name": p.first_name,
            "last_name": p.last_name, "email": p.email,
            "email_confirmed_at": signed_up + timedelta(hours=2) if confirmed else None,
            "phone": "0221 555 01 23", "postcode": p.postcode, "lat": p.lat, "lon": p.lon,
            "age_band": p.age_band, "gender": p.gender, "slots": slots_to_mask(p.slots),
            "topics": p.topics, "capacity": p.capacity, "status": status,
            "motivation": "Ich möchte helfen, in Köln anzukommen.",
            "can_show_certificate": certificate,
            "certificate_inspected_on": issued and issued + timedelta(days=34),
            "certificate_issued_on": issued,
            "certificate_result": "clear" if certificate else None,
            "certificate_inspected_by_id": a.coordinators[0] if certificate else None,
            "created_at": signed_up, "updated_at": a.ago(0, (a.now - signed_up).days),
            "anonymised_at": None, "locale": "de", "token_version": 1,
            "search_key": search_key(p.first_name, p.last_name, p.email),
        }  # fmt: skip
        if erased:  # as matcher.services.people.erasure leaves them
            row |= {
                "first_name": "", "last_name": "", "email": f"erased-{person.id}@invalid",
                "phone": "", "postcode": "", "lat": None, "lon": None, "gender": None,
                "slots": 0, "topics": [], "capacity": 0, "motivation": "",
                "anonymised_at": a.ago(0, 60), "search_key": "",
            }  # fmt: skip
        a.add("volunteers", **row)
        people.append(person)
        if not erased:
            for code, level in p.languages.items():
                a.add("volunteer_languages", volunteer_id=person.id, code=code, level=level)
            _consent(a, person, "volunteer_id", "de", signed_up)
    return people


def _newcomers(a: _Agency) -> list[_Person]:
    """The agency's newcomers, their languages and consents (their rows come after the
    matches, which change their statuses)."""
    people = []
    for k, p in enumerate(generate.newcomers(a.shape.newcomers, a.index, a.today)):
        erased = a.rng.random() < ERASED
        person = _Person(a.given_id(k), "closed" if erased else p.status, erased,
                         first_name=p.first_name, language=next(iter(p.languages)),
                         waiting_since=p.waiting_since or a.today, data=p)  # fmt: skip
        people.append(person)
        if not erased:
            for code, level in p.languages.items():
                a.add("newcomer_languages", newcomer_id=person.id, code=code, level=level)
            _consent(a, person, "newcomer_id", person.language, _registered(person))
    return people


def _registered(person: _Person) -> datetime:
    assert person.waiting_since is not None
    return datetime.combine(person.waiting_since, time(10), tzinfo=UTC)


def _newcomer_rows(a: _Agency, people: list[_Person]) -> None:
    for person in people:
        p = person.data
        row = {
            "id": person.id, "agency_id": a.id, "first_name": p.first_name,
            "contact_note": "über die Unterkunft am Ring", "postcode": p.postcode,
            "lat": p.lat, "lon": p.lon, "age_band": p.age_band, "slots": slots_to_mask(p.slots),
            "topics": p.topics, "minors": p.minors, "mentor_gender": p.mentor_gender,
            "status": person.status, "waiting_since": person.waiting_since,
            "created_by_id": a.coordinators[0], "created_at": _registered(person),
            "updated_at": a.ago(0, 30), "anonymised_at": None, "external_ref": None,
            "search_key": search_key(p.first_name),
        }  # fmt: skip
        if person.erased:  # as matcher.services.people.erasure leaves them
            row |= {
                "first_name": "", "contact_note": "", "postcode": "", "lat": None, "lon": None,
                "slots": 0, "topics": [], "minors": False, "mentor_gender": None,
                "anonymised_at": a.ago(0, 60), "search_key": "",
            }  # fmt: skip
        a.add("newcomers", **row)


def _event(a: _Agency, match_id: int, old: str | None, new: str, at: datetime,
           actor: int | None) -> None:  # fmt: skip
    a.add("match_events", match_id=match_id, from_status=old, to_status=new, at=at,
          actor_id=actor, note="")  # fmt: skip


def _checkins(a: _Agency, match_id: int, started: datetime, until: datetime | None) -> None:
    """From the end of the trial every 10 weeks: the ones held, then (while the
    Patenschaft runs) the next one, now and then overdue."""
    due = (started + timedelta(weeks=TRIAL_WEEKS)).date()
    stop = (until or a.now).date()
    while due < stop:
        last = due + timedelta(weeks=CHECKIN_WEEKS) >= stop
        if until is None and last and a.rng.random() < 0.15:
            break  # not held yet: overdue
        held = min(due + timedelta(days=a.rng.randint(-3, 10)), a.today)
        a.add("check_ins", agency_id=a.id, match_id=match_id, due_on=due,
              done_at=min(datetime.combine(held, time(15), tzinfo=UTC), a.now), held_on=held,
              done_by_id=a.staff(),
              light=a.rng.choices(("green", "yellow", "red"), weights=(75, 20, 5))[0],
              note="Treffen sich jede Woche.", reminded_at=None)  # fmt: skip
        due = held + timedelta(weeks=CHECKIN_WEEKS)
    if until is None:
        a.add("check_ins", agency_id=a.id, match_id=match_id, due_on=due, done_at=None,
              held_on=None, done_by_id=None, light=None, note="", reminded_at=None)  # fmt: skip


class _Matches:
    """Adds an agency's matches, each with its first event."""

    def __init__(self, a: _Agency) -> None:
        self.a = a
        self.count = itertools.count()
        self.runs = [a.given_id(k) for k in range(RUNS)]

    def add(self, volunteer: int, newcomer: _Person, status: str, proposed: datetime,
            **stamps: Any) -> tuple[Any, ...]:  # fmt: skip
        a = self.a
        row: dict[str, Any] = {
            "id": a.given_id(next(self.count)), "agency_id": a.id, "volunteer_id": volunteer,
            "newcomer_id": newcomer.id,
            "run_id": self.runs[-1] if status == "proposed" else a.rng.choice(self.runs),
            "status": status, "score": round(a.rng.uniform(0.35, 0.95), 4),
            "components": {k: round(a.rng.uniform(0.2, 1.0), 3) for k in DEFAULT_WEIGHTS},
            "reasons": [{"code": "scale_benchmark", "params": {},
                         "text": f"shares {newcomer.language}"}],
            "proposed_at": proposed, "approved_at": None, "approved_by_id": None,
            "started_at": None, "started_by_id": None, "trial_until": None, "ended_at": None,
            "ended_by_id": None, "end_reason": None, "rejected_at": None,
            "rejected_by_id": None,
            "reject_reason": "Passt zeitlich nicht." if status == "rejected" else "",
            "picked_by_id": None, "attention": None, "attention_since": None, "version": 1,
        }  # fmt: skip
        row.update(stamps)
        added = a.add("matches", **row)
        _event(a, row["id"], None, "proposed", proposed, None)
        return added


def _matches(a: _Agency, volunteers: list[_Person], newcomers: list[_Person]) -> None:
    """Patenschaften in every status, proposals of the last run, rejected pairs, the runs."""
    n = a.shape.newcomers
    quota = {name: max(1, round(share * n)) for name, share in
             (("running", RUNNING), ("proposed", PROPOSED), ("ended", ENDED),
              ("rejected", REJECTED))}  # fmt: skip
    can_match = [v for v in volunteers if v.status == "active" and not v.withdrawn]
    # Each free place of a volunteer once, in random order: a Patenschaft takes the next.
    seats = [v.id for v in can_match for _ in range(v.capacity)]
    a.rng.shuffle(seats)
    waiting = [p for p in newcomers if p.status == "waiting" and not p.withdrawn]
    a.rng.shuffle(waiting)
    wanted = quota["running"] + quota["proposed"]
    if len(seats) < wanted or len(waiting) < wanted:
        raise ValueError(f"agency {a.index}: too few people for its Patenschaften")
    matches = _Matches(a)

    # Running Patenschaften: approved (introduction ahead), active, paused.
    for nc in waiting[: quota["running"]]:
        status = a.rng.choices(("approved", "active", "paused"), weights=(10, 80, 10))[0]
        started = a.ago(10, 500) if status != "approved" else None
        approved = (started or a.ago(1, 10)) - timedelta(days=a.rng.uniform(1, 7))
        proposed = approved - timedelta(days=a.rng.uniform(1, 5))
        flagged = a.rng.random() < 0.01
        mid = matches.add(
            seats.pop(), nc, status, proposed, approved_at=approved, approved_by_id=a.staff(),
            started_at=started, started_by_id=started and a.staff(),
            trial_until=started and (started + timedelta(weeks=TRIAL_WEEKS)).date(),
            attention="volunteer_withdrew_consent" if flagged else None,
            attention_since=a.ago(0, 5) if flagged else None,
        )[0]  # fmt: skip
        _event(a, mid, "proposed", "approved", approved, a.staff())
        if started:
            _event(a, mid, "approved", "active", started, a.staff())
            _checkins(a, mid, started, None)
        if status == "paused":
            _event(a, mid, "active", "paused", a.ago(0, 30), a.staff())
        nc.status = "matched"
        nc.waiting_since = min(nc.waiting_since or a.today, proposed.date())
    # The last run's proposals, for newcomers still waiting.
    proposed_to = set()
    for nc in waiting[quota["running"] : quota["running"] + quota["proposed"]]:
        matches.add(seats.pop(), nc, "proposed", a.now - timedelta(days=1))
        proposed_to.add(nc.id)
    # Patenschaften that ended: the newcomer waits again unless the goal was reached.
    others = [p for p in newcomers if p.status in ("waiting", "paused", "closed")]
    everyone = [v.id for v in volunteers if not v.erased]
    for nc in a.rng.sample(others, min(quota["ended"], len(others))):
        started = a.ago(200, 720)
        ended = started + timedelta(days=a.rng.uniform(30, 190))
        reason = a.rng.choice(END_REASONS)
        mid = matches.add(
            a.rng.choice(everyone), nc, "ended", started - timedelta(days=7),
            approved_at=started - timedelta(days=3), approved_by_id=a.staff(),
            started_at=started, started_by_id=a.staff(),
            trial_until=(started + timedelta(weeks=TRIAL_WEEKS)).date(), ended_at=ended,
            ended_by_id=a.staff(), end_reason=reason,
        )[0]  # fmt: skip
        _event(a, mid, "proposed", "approved", started - timedelta(days=3), a.staff())
        _event(a, mid, "approved", "active", started, a.staff())
        _event(a, mid, "active", "ended", ended, a.staff())
        _checkins(a, mid, started, ended)
        if reason in CLOSING_END_REASONS and nc.status == "waiting" and nc.id not in proposed_to:
            nc.status = "closed"
    # Rejected proposals: the engine never proposes these pairs again.
    for nc in a.rng.sample(waiting, min(quota["rejected"], len(waiting))):
        proposed = a.ago(8, 300)
        rejected = proposed + timedelta(days=1)
        mid = matches.add(a.rng.choice(can_match).id, nc, "rejected", proposed,
                          rejected_at=rejected, rejected_by_id=a.staff())[0]  # fmt: skip
        _event(a, mid, "proposed", "rejected", rejected, a.staff())
    # The runs, weekly; each left the waiting newcomers without a proposal unmatched.
    unmatched = [{"newcomer": p.id, "reason": "language"} for p in newcomers
                 if p.status == "waiting" and p.id not in proposed_to]  # fmt: skip
    for k, run_id in enumerate(matches.runs):
        started = a.now - timedelta(weeks=RUNS - 1 - k, hours=1)
        a.add("match_runs", id=run_id, agency_id=a.id, started_at=started,
              started_by_id=a.coordinators[0], status="finished",
              parameters={"max_distance_km": 15.0, "today": started.date().isoformat()},
              volunteers=len(can_match), newcomers=len(waiting),
              feasible_pairs=40 * len(waiting), pairs=quota["proposed"],
              seconds=round(a.rng.uniform(0.5, 1.5), 3), unmatched=unmatched)  # fmt: skip


def _audit(a: _Agency) -> None:
    """Two years of the audit log: views, approvals, check-ins, exports."""
    kinds = [(action, kind) for action, kind, _ in AUDIT_ACTIONS]
    weights = [w for _, _, w in AUDIT_ACTIONS]
    size = {"volunteer": a.shape.volunteers, "newcomer": a.shape.newcomers,
            "match": len(a.rows["matches"]), "match_run": RUNS}  # fmt: skip
    for _ in range(round(AUDIT_PER_PERSON * (a.shape.volunteers + a.shape.newcomers))):
        action, kind = a.rng.choices(kinds, weights)[0]
        if kind == "agency":
            object_id: int | None = a.id
        elif kind == "checkin":
            object_id = None  # the database numbers check-ins; the fact is what counts here
        else:
            object_id = a.given_id(a.rng.randrange(size[kind]))
        a.add("audit_events", at=a.ago(0, 730), actor_id=a.staff(), action=action,
              object_type=kind, object_id=object_id, agency_id=a.id)  # fmt: skip


def _outbox(a: _Agency, volunteers: list[_Person]) -> None:
    """The last month's mail (older sent mail is purged): mostly sent, some still due."""
    people = [v for v in volunteers if not v.erased]
    for _ in range(max(1, round(MAIL_PER_VOLUNTEER * len(volunteers)))):
        v = a.rng.choice(people)
        created = a.ago(0, 30)
        status = a.rng.choices(("sent", "pending", "failed"), weights=(94, 5, 1))[0]
        a.add(
            "outbox_messages", created_at=created,
            kind=a.rng.choices(("signup_confirm", "match_approved", "checkin_reminder"),
                               weights=(3, 1, 2))[0],
            to_address=v.email, subject="Ihre Patenschaft",
            body=f"Hallo {v.first_name},\n\nbitte bestätigen Sie Ihre Anmeldung.\n" * 4,
            status=status, attempts={"sent": 1, "failed": 8}.get(status, 0),
            next_attempt_at=a.now if status == "pending" else created, locked_until=None,
            last_error="550 mailbox unavailable" if status == "failed" else "",
            sent_at=created + timedelta(seconds=5) if status == "sent" else None,
        )  # fmt: skip


def _one_agency(index: int, position: int, of: int, shape: Shape, now: datetime) -> _Agency:
    a = _Agency(index, position, of, shape, now)
    _agency(a)
    volunteers = _volunteers(a)
    newcomers = _newcomers(a)
    _matches(a, volunteers, newcomers)
    _newcomer_rows(a, newcomers)
    _audit(a)
    _outbox(a, volunteers)
    return a


def _interleave(lists: list[list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    """Row k of every agency, then row k+1 of every agency: as sign-ups arrive everywhere."""
    gap = object()
    return [row for rows in itertools.zip_longest(*lists, fillvalue=gap) for row in rows
            if row is not gap]  # fmt: skip


def build(indexes: list[int], shape: Shape, now: datetime) -> Dataset:
    """The rows of the agencies with these global indexes (their order gives their ids).

    An agency's people and history depend on its global index only: agency 100 among 200
    and agency 100 alone in another database hold the same people with the same history.
    """
    agencies = [
        _one_agency(index, position, len(indexes), shape, now)
        for position, index in enumerate(indexes)
    ]
    rows = {t: _interleave([a.rows[t] for a in agencies]) for t in TABLES}
    rows["users"].insert(0, (1, ADMIN_EMAIL, "Landesadmin", PASSWORD_HASH, True, "admin", None,
                             1, now - timedelta(days=800), now))  # fmt: skip
    for table in GIVEN_IDS:  # a given id is the row's place in its table
        assert [r[0] for r in rows[table]] == list(range(1, len(rows[table]) + 1)), table
    probes = {}
    status, volunteer, newcomer = (COLUMNS["matches"].index(c) for c in
                                   ("status", "volunteer_id", "newcomer_id"))  # fmt: skip
    for a in agencies:
        active = next(r for r in a.rows["matches"] if r[status] == "active")
        probes[a.index] = Probe(a.id, active[volunteer], active[newcomer], active[0])
    return Dataset(rows, probes)


# --------------------------------------------------------------------------- writing


def _same(value: Any) -> Any:
    return value


def _naive(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _converters(table: Table, columns: tuple[str, ...]) -> list[Callable[[Any], Any]]:
    """For COPY, which bypasses the column types: timestamps as the naive UTC that
    UTCDateTime stores, JSON as text. Empty when no column needs it."""
    out: list[Callable[[Any], Any]] = []
    for name in columns:
        kind = table.c[name].type
        out.append(_naive if isinstance(kind, UTCDateTime) else
                   _json if isinstance(kind, JSON) else _same)  # fmt: skip
    return out if any(f is not _same for f in out) else []


def _with_defaults(table: Table, rows: Iterable[tuple[Any, ...]]
                   ) -> tuple[tuple[str, ...], Iterator[tuple[Any, ...]]]:  # fmt: skip
    """The generator's columns plus the model's defaults of the others (added later, say)."""
    extra: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in COLUMNS[table.name] or column.primary_key or default is None:
            continue
        if default.is_scalar:
            extra[column.name] = default.arg  # type: ignore[attr-defined]
        elif default.is_callable:
            extra[column.name] = default.arg(None)  # type: ignore[attr-defined]
    tail = tuple(extra.values())
    return COLUMNS[table.name] + tuple(extra), (row + tail for row in rows)


def write(conn: Connection, data: Dataset, progress: Callable[[str], None] | None = None) -> None:
    """Write the dataset into an empty schema, in the transaction of `conn`."""
    postgres = conn.dialect.name == "postgresql"
    for name in TABLES:
        table = Base.metadata.tables[name]
        started = perf_counter()
        columns, rows = _with_defaults(table, data.rows[name])
        if postgres:
            convert = _converters(table, columns)
            quoted = ", ".join(f'"{c}"' for c in columns)
            sql = f'COPY "{name}" ({quoted}) FROM STDIN'
            raw = conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row([f(v) for f, v in zip(convert, row)] if convert else row)
        else:
            batch = [dict(zip(columns, row)) for row in rows]
            if batch:
                conn.execute(insert(table), batch)
        if progress:
            took = perf_counter() - started
            progress(f"{name}: {len(data.rows[name]):,} rows in {took:.1f} s")
    if postgres:
        for name in GIVEN_IDS:
            highest = conn.scalar(select(func.max(Base.metadata.tables[name].c.id)))
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                {"t": name, "n": max(1, highest or 1)},
            )
