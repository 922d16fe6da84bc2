"""Exports of an agency's match, volunteer and newcomer lists, as CSV or XLSX.

Only the columns an agency needs to work with the list; every export is audited (the
fact, never the data). The pseudonymised variant, for statistics, carries no names or
contacts: each person is a stable pseudonym (an HMAC of the id with the secret key), the
postcode only its first two digits and dates only their month where a day would identify.

A file reads like the pages: headers, statuses, end reasons, age bands, genders, topics
and languages carry the labels the UI shows (the tables of `matcher.labels`, rendered in
the current language; language names in the request's `locale`), never the internal codes.
"""

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import selectinload

from matcher.domain import audit, phones
from matcher.domain.errors import Invalid
from matcher.domain.vocab import MATCH_STATUSES, NEWCOMER_STATUSES, VOLUNTEER_STATUSES
from matcher.extensions import db
from matcher.labels import (
    AGE_BAND_LABELS,
    CHILD_AGE_BAND_LABELS,
    CONTACT_CHANNEL_LABELS,
    END_REASON_LABELS,
    EXPORT_COLUMN_LABELS,
    GENDER_LABELS,
    HOUSEHOLD_NEED_LABELS,
    LEVEL_LABELS,
    LIST_LABELS,
    MATCH_STATUS_LABELS,
    NEWCOMER_STATUS_LABELS,
    TOPIC_LABELS,
    VOLUNTEER_STATUS_LABELS,
    YES_NO_LABELS,
)
from matcher.models import Agency, Match, Newcomer, User, Volunteer, utcnow
from matcher.services.lists import spreadsheet
from matcher.services.lists.spreadsheet import Cell, Month
from matcher.services.matching import problem
from matcher.services.platform import vocabulary

KINDS = ("matches", "volunteers", "newcomers")
FORMATS = ("csv", "xlsx")
STATUSES: dict[str, tuple[str, ...]] = {
    "matches": MATCH_STATUSES,
    "volunteers": VOLUNTEER_STATUSES,
    "newcomers": NEWCOMER_STATUSES,
}
#: Without a status filter, the matches list holds the Patenschaften themselves: open
#: proposals and rejected pairs only when asked for by their status.
UNDECIDED_STATUSES = ("proposed", "rejected")
MIMETYPES = {
    # Werkzeug adds "; charset=utf-8" to a text/* mimetype itself (I6: it was there twice).
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ExportRequest:
    """What to export: one list of one agency, filtered, in one format and language.

    `locale` names the language of the language names; the labels follow the active locale.
    """

    kind: str
    agency: Agency
    fmt: str = "xlsx"
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    pseudonymised: bool = False
    delimiter: str = ";"
    locale: str = "de"


@dataclass(frozen=True)
class ExportFile:
    """A finished export: file name, MIME type, content and number of data rows."""

    filename: str
    mimetype: str
    data: bytes
    rows: int


def pseudonym(kind: str, person_id: int) -> str:
    """A stable pseudonym for a person or match: the same id always gives the same one."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{kind}:{person_id}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0].upper()}-{digest[:12]}"


def export(request: ExportRequest, actor: User | None) -> ExportFile:
    """Build the export file and record the export in the audit log (None: the system)."""
    _check(request)
    columns, rows = _BUILDERS[(request.kind, request.pseudonymised)](request)
    headers = [str(EXPORT_COLUMN_LABELS[c]) for c in columns]
    if request.fmt == "csv":
        data = spreadsheet.write_csv(headers, rows, delimiter=request.delimiter)
    else:
        data = spreadsheet.write_xlsx([(str(LIST_LABELS[request.kind]), headers, rows)])
    action = f"export.{request.kind}" + (".pseudonymised" if request.pseudonymised else "")
    audit.about(action, request.agency, actor)
    suffix = "-pseudonymised" if request.pseudonymised else ""
    filename = f"{request.agency.slug}-{request.kind}{suffix}-{utcnow().date()}.{request.fmt}"
    return ExportFile(filename, MIMETYPES[request.fmt], data, len(rows))


def _check(request: ExportRequest) -> None:
    if request.kind not in KINDS:
        raise Invalid("export_unknown_list", kind=request.kind)
    if request.fmt not in FORMATS:
        raise Invalid("export_unknown_format", fmt=request.fmt)
    if request.status and request.status not in STATUSES[request.kind]:
        raise Invalid("export_wrong_status", status=request.status)
    if request.delimiter not in (";", ","):
        raise Invalid("export_bad_delimiter")
    if request.date_from and request.date_to and request.date_from > request.date_to:
        raise Invalid("period_reversed")


def _bounds(request: ExportRequest) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(request.date_from, time(), tzinfo=UTC) if request.date_from else None
    end = None
    # The last day there is has no day after it: no upper bound then, not an overflow.
    if request.date_to and request.date_to < date.max:
        end = datetime.combine(request.date_to + timedelta(days=1), time(), tzinfo=UTC)
    return start, end


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _month(value: date | datetime | None) -> Month | None:
    return Month(value.year, value.month) if value else None


def _label(labels: Mapping[str, Any], code: str | None) -> str:
    return str(labels.get(code, code)) if code else ""


def _language_names(person: Volunteer | Newcomer, locale: str) -> str:
    return ", ".join(vocabulary.language_name(lang.code, locale) for lang in person.languages)


def _languages(person: Volunteer | Newcomer, locale: str) -> str:
    """Languages with levels as the pages show them: "Arabisch (Muttersprache), Deutsch (gut)"."""
    return ", ".join(
        f"{vocabulary.language_name(lang.code, locale)} ({_label(LEVEL_LABELS, lang.level)})"
        for lang in person.languages
    )


def _topics(codes: Sequence[str]) -> str:
    return ", ".join(_label(TOPIC_LABELS, code) for code in codes)


def _child_age_bands(codes: Sequence[str] | None) -> str:
    """Children's age bands, as the pages name them."""
    return ", ".join(_label(CHILD_AGE_BAND_LABELS, c) for c in codes or [])


def _score(value: float | None) -> int | None:
    """A score on the 0–100 scale the proposal pages show."""
    return round(value * 100) if value is not None else None


def _yes(value: bool) -> str:
    return str(YES_NO_LABELS[value])


#: A list's columns (keys of `EXPORT_COLUMN_LABELS`) and its rows.
Rows = tuple[list[str], list[Sequence[Cell]]]


# --------------------------------------------------------------------------- matches


def _match_query(request: ExportRequest) -> Select[Any]:
    stmt = (
        select(Match)
        .where(Match.agency_id == request.agency.id)
        .options(selectinload(Match.volunteer), selectinload(Match.newcomer))
        .order_by(Match.proposed_at, Match.id)
    )
    if request.status:
        stmt = stmt.where(Match.status == request.status)
    else:
        stmt = stmt.where(Match.status.not_in(UNDECIDED_STATUSES))
    start, end = _bounds(request)
    # A match belongs to a period when it existed during it: proposed before its end,
    # not ended or rejected before its start.
    if end is not None:
        stmt = stmt.where(Match.proposed_at < end)
    if start is not None:
        stmt = stmt.where(
            and_(
                or_(Match.ended_at.is_(None), Match.ended_at >= start),
                or_(Match.rejected_at.is_(None), Match.rejected_at >= start),
            )
        )
    return stmt


def _matches(request: ExportRequest) -> Rows:
    columns = [
        "number", "status", "volunteer", "volunteer_email", "newcomer", "proposed_on",
        "approved_on", "started_on", "trial_until", "ended_on", "end_reason",
    ]  # fmt: skip
    rows: list[Sequence[Cell]] = [
        [
            m.id,
            _label(MATCH_STATUS_LABELS, m.status),
            m.volunteer.full_name.strip(),
            "" if m.volunteer.anonymised_at else m.volunteer.email,
            m.newcomer.first_name,
            _day(m.proposed_at),
            _day(m.approved_at),
            _day(m.started_at),
            m.trial_until,
            _day(m.ended_at),
            _label(END_REASON_LABELS, m.end_reason),
        ]  # fmt: skip
        for m in db.session.scalars(_match_query(request))
    ]
    return columns, rows


def _matches_pseudonymised(request: ExportRequest) -> Rows:
    columns = [
        "patenschaft", "volunteer", "newcomer", "status", "proposed_in", "started_in",
        "ended_in", "end_reason", "score",
    ]  # fmt: skip
    rows: list[Sequence[Cell]] = [
        [
            pseudonym("match", m.id),
            pseudonym("volunteer", m.volunteer_id),
            pseudonym("newcomer", m.newcomer_id),
            _label(MATCH_STATUS_LABELS, m.status),
            _month(m.proposed_at),
            _month(m.started_at),
            _month(m.ended_at),
            _label(END_REASON_LABELS, m.end_reason),
            _score(m.score),
        ]  # fmt: skip
        for m in db.session.scalars(_match_query(request))
    ]
    return columns, rows


# --------------------------------------------------------------------------- people


def _people_query(model: Any, request: ExportRequest, named: bool) -> Select[Any]:
    stmt = (
        select(model)
        .where(model.agency_id == request.agency.id)
        .options(selectinload(model.languages))
        .order_by(model.created_at, model.id)
    )
    if named:
        # Erased people have no names left; they stay only in the anonymous figures.
        stmt = stmt.where(model.anonymised_at.is_(None))
    if request.status:
        stmt = stmt.where(model.status == request.status)
    start, end = _bounds(request)
    if start is not None:
        stmt = stmt.where(model.created_at >= start)
    if end is not None:
        stmt = stmt.where(model.created_at < end)
    return stmt


def _volunteers(request: ExportRequest) -> Rows:
    columns = [
        "number", "first_name", "last_name", "email", "phone", "postcode", "status",
        "languages", "topics", "places", "current_patenschaften", "certificate_inspected_on",
        "email_confirmed", "registered_on", "families_welcome", "max_household",
        "child_age_bands",
    ]  # fmt: skip
    # Approved, running and paused Patenschaften: those that take a place.
    current = problem.places_taken(request.agency)
    rows: list[Sequence[Cell]] = [
        [
            v.id,
            v.first_name,
            v.last_name,
            v.email,
            phones.international(v.phone),
            v.postcode,
            _label(VOLUNTEER_STATUS_LABELS, v.status),
            _languages(v, request.locale),
            _topics(v.topics),
            v.capacity,
            current.get(v.id, 0),
            v.certificate_inspected_on,
            _yes(v.email_confirmed_at is not None),
            _day(v.created_at),
            _yes(v.families_welcome),
            v.max_household,
            _child_age_bands(v.child_age_bands),
        ]  # fmt: skip
        for v in db.session.scalars(_people_query(Volunteer, request, named=True))
    ]
    return columns, rows


def _volunteers_pseudonymised(request: ExportRequest) -> Rows:
    columns = [
        "volunteer", "postcode_area", "age_band", "gender", "languages", "status", "places",
        "registered_in",
    ]  # fmt: skip
    rows: list[Sequence[Cell]] = [
        [
            pseudonym("volunteer", v.id),
            v.postcode[:2],
            _label(AGE_BAND_LABELS, v.age_band),
            _label(GENDER_LABELS, v.gender),
            _language_names(v, request.locale),
            _label(VOLUNTEER_STATUS_LABELS, v.status),
            v.capacity,
            _month(v.created_at),
        ]  # fmt: skip
        for v in db.session.scalars(_people_query(Volunteer, request, named=False))
    ]
    return columns, rows


def _newcomers(request: ExportRequest) -> Rows:
    columns = [
        "number", "first_name", "contact", "postcode", "age_band", "languages", "topics",
        "minors", "status", "waiting_since", "phone", "contact_channel", "social_worker_contact",
        "interpreter_language", "correspondence_language", "household_size", "child_age_bands",
        "household_needs",
    ]  # fmt: skip
    rows: list[Sequence[Cell]] = [
        [
            n.id,
            n.first_name,
            n.contact_note,
            n.postcode,
            _label(AGE_BAND_LABELS, n.age_band),
            _languages(n, request.locale),
            _topics(n.topics),
            _yes(n.minors),
            _label(NEWCOMER_STATUS_LABELS, n.status),
            n.waiting_since,
            phones.international(n.phone),
            _label(CONTACT_CHANNEL_LABELS, n.contact_channel),
            n.social_worker_contact,
            vocabulary.language_name(n.interpreter_language, request.locale)
            if n.interpreter_language
            else "",
            vocabulary.language_name(n.correspondence_language, request.locale),
            n.household_size,
            _child_age_bands(n.child_age_bands),
            ", ".join(_label(HOUSEHOLD_NEED_LABELS, c) for c in n.household_needs or []),
        ]  # fmt: skip
        for n in db.session.scalars(_people_query(Newcomer, request, named=True))
    ]
    return columns, rows


def _newcomers_pseudonymised(request: ExportRequest) -> Rows:
    columns = [
        "newcomer", "postcode_area", "age_band", "languages", "minors", "status",
        "waiting_since",
    ]  # fmt: skip
    rows: list[Sequence[Cell]] = [
        [
            pseudonym("newcomer", n.id),
            n.postcode[:2],
            _label(AGE_BAND_LABELS, n.age_band),
            _language_names(n, request.locale),
            _yes(n.minors),
            _label(NEWCOMER_STATUS_LABELS, n.status),
            _month(n.waiting_since),
        ]  # fmt: skip
        for n in db.session.scalars(_people_query(Newcomer, request, named=False))
    ]
    return columns, rows


_BUILDERS: dict[tuple[str, bool], Callable[[ExportRequest], Rows]] = {
    ("matches", False): _matches,
    ("matches", True): _matches_pseudonymised,
    ("volunteers", False): _volunteers,
    ("volunteers", True): _volunteers_pseudonymised,
    ("newcomers", False): _newcomers,
    ("newcomers", True): _newcomers_pseudonymised,
}
