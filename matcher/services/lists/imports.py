"""Importing an agency's existing volunteer or newcomer list: check first, then all or nothing.

The uploaded file is kept in the instance folder between the steps (mapping, dry run,
import) under a random token and removed after a day. A dry run reads every row and lists
every error (a code the page words) with its spreadsheet row number; the import re-checks
and adds every row to the caller's one transaction, or none. Volunteers already in the
agency (same email) and newcomers already imported (same reference number, or the same
row) are left alone, so importing the same file twice creates nobody twice.

Consent is recorded only as the file states it: a row that says consent was given on paper
must say when, and in which language the privacy notice was explained; a row that says
neither is refused rather than dated today and "in German". A person imported without
consent is kept but never matched: a volunteer comes in as "applied", waiting for the
interview, however active the old list called them.

The rows are written in batches (`write`): a batch of people is one INSERT of many rows,
a read of their new ids, one INSERT of their languages and one of their consents — not
a flush per person. Checking and writing tell an optional `progress` callback how many
rows are done, which a background job turns into its progress bar.
"""

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any, cast

from flask import current_app
from sqlalchemy import Select, insert, select
from sqlalchemy import Table as SqlTable
from sqlalchemy.exc import IntegrityError

from matcher.domain import audit
from matcher.domain.contact import default_correspondence_language
from matcher.domain.errors import Conflict, Invalid, NotFound
from matcher.domain.vocab import CONTACT_CHANNELS_BY_PHONE, slots_to_mask
from matcher.extensions import db
from matcher.models import (
    Agency,
    ConsentRecord,
    Newcomer,
    NewcomerLanguage,
    User,
    Volunteer,
    VolunteerLanguage,
    utcnow,
)
from matcher.models.search import search_key
from matcher.services.lists.import_fields import FIELDS, CellError, suggest_mapping
from matcher.services.lists.spreadsheet import Table, read_table
from matcher.services.people.consents import notice_version_for

__all__ = ["FIELDS", "Plan", "RowError", "check", "run", "suggest_mapping", "write"]

STASH_SECONDS = 24 * 3600
#: The first rows of an upload its mapping page shows.
PREVIEW_ROWS = 5
#: People added and flushed together: big enough that a flush's round trips are few,
#: small enough that one INSERT's parameters stay far below the databases' limits.
BATCH = 500
#: How often (in rows) checking and writing tell their `progress` callback.
PROGRESS_EVERY = 250

#: Told how many rows are done so far (checked, or written).
ProgressCallback = Callable[[int], None]
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,40}")


@dataclass(frozen=True)
class RowError:
    """One problem in one row of the sheet (row numbers as the spreadsheet shows them).

    `code` and `params` say what is wrong; the page says it in words
    (`matcher.web.messages.cell_text`).
    """

    row: int
    column: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """The outcome of checking (or importing) a sheet."""

    kind: str
    rows: int = 0
    new: int = 0
    existing: int = 0
    without_consent: int = 0
    errors: list[RowError] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row has an error."""
        return not self.errors


# --------------------------------------------------------------------------- the upload


def _stash_dir() -> Path:
    configured = current_app.config.get("IMPORT_STASH_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def stash(filename: str, data: bytes, kind: str, agency: Agency, user: User) -> str:
    """Check that the upload is a readable table and keep it for the next steps; its token."""
    if kind not in FIELDS:
        raise Invalid("import_unknown_list")
    table = read_table(filename, data)
    folder = _stash_dir()
    purge_stash()
    token = secrets.token_urlsafe(24)
    _write_private(folder / f"{token}.bin", data)
    # The headers, the row count and the first rows: the mapping page and starting a job
    # need no second read of the file (a large XLSX takes seconds).
    meta = {"filename": filename, "kind": kind, "agency_id": agency.id, "user_id": user.id,
            "headers": table.headers, "rows": len(table.rows),
            "preview": table.rows[:PREVIEW_ROWS]}  # fmt: skip
    _write_private(folder / f"{token}.json", json.dumps(meta).encode())
    return token


def _write_private(path: Path, data: bytes) -> None:
    """A file of personal data, readable by its owner only (L11)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def purge_stash(now: float | None = None) -> int:
    """Remove uploads nobody imported within `STASH_SECONDS` (the daily `gdpr purge`, L11):
    they hold a whole list of people. The number of uploads removed."""
    folder = _stash_dir()
    cutoff = (now if now is not None else time.time()) - STASH_SECONDS
    removed = 0
    for old in folder.iterdir():
        with contextlib.suppress(FileNotFoundError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
                removed += old.suffix == ".bin"
    return removed


def _meta(token: str) -> dict[str, Any]:
    if not _TOKEN.fullmatch(token):
        raise NotFound("import_upload_expired")
    try:
        meta: dict[str, Any] = json.loads((_stash_dir() / f"{token}.json").read_text())
    except (OSError, ValueError):
        raise NotFound("import_upload_expired") from None
    return meta


def upload(token: str, user: User) -> dict[str, Any]:
    """What is known of an upload without reading its file again (only for the user who
    uploaded it): its filename, kind, agency, headers, number of rows and first rows."""
    meta = _meta(token)
    if meta.get("user_id") != user.id:
        raise NotFound("import_upload_expired")
    if "preview" not in meta:  # kept before these were noted
        meta, table = unstash(token, user)
        meta = {**meta, "headers": table.headers, "rows": len(table.rows),
                "preview": table.rows[:PREVIEW_ROWS]}  # fmt: skip
    return meta


def unstash(token: str, user: User) -> tuple[dict[str, Any], Table]:
    """The upload behind a token (only for the user who uploaded it) and its table."""
    meta, table = load(token)
    if meta.get("user_id") != user.id:
        raise NotFound("import_upload_expired")
    return meta, table


def load(token: str) -> tuple[dict[str, Any], Table]:
    """The upload behind a token and its table, for the background job its user started."""
    meta = _meta(token)
    try:
        data = (_stash_dir() / f"{token}.bin").read_bytes()
    except OSError:
        raise NotFound("import_upload_expired") from None
    return meta, read_table(meta["filename"], data)


def keep(token: str) -> None:
    """Start the upload's day in the stash anew: a job about to read it finds it there."""
    if _TOKEN.fullmatch(token):
        for suffix in (".bin", ".json"):
            with contextlib.suppress(FileNotFoundError):
                os.utime(_stash_dir() / f"{token}{suffix}")


def discard(token: str) -> None:
    """Remove a stashed upload once it was imported."""
    if _TOKEN.fullmatch(token):
        for suffix in (".bin", ".json"):
            (_stash_dir() / f"{token}{suffix}").unlink(missing_ok=True)


# --------------------------------------------------------------------------- checking


def check(
    kind: str,
    agency: Agency,
    table: Table,
    mapping: dict[str, int | None],
    progress: ProgressCallback | None = None,
) -> Plan:
    """Read every row with the column mapping; list every error. Writes nothing.

    :param progress: told the number of rows checked, every `PROGRESS_EVERY` rows.
    """
    fields = FIELDS[kind]
    plan = Plan(kind=kind)
    for f in fields:
        index = mapping.get(f.name)
        if index is not None and not 0 <= index < len(table.headers):
            raise Invalid("import_mapping_mismatch")
        if f.required and index is None:
            plan.errors.append(RowError(1, str(f.label), "column_not_assigned"))
    if plan.errors:
        return plan
    # Errors name the sheet's own column, which is what the user will correct (a field
    # not in the file by its label). Worded once, not once per row and field.
    columns = {
        f.name: table.headers[index] if (index := mapping.get(f.name)) is not None
        else str(f.label)
        for f in fields
    }  # fmt: skip
    existing = _existing_keys(kind, agency)
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        plan.rows += 1
        if progress is not None and plan.rows % PROGRESS_EVERY == 0:
            progress(plan.rows)
        record: dict[str, Any] = {"row": number}
        for f in fields:
            index = mapping.get(f.name)
            cell = cells[index] if index is not None else ""
            column = columns[f.name]
            if f.required and not cell:
                plan.errors.append(RowError(number, column, "empty"))
                continue
            try:
                record[f.name] = f.read(cell)
            except CellError as e:
                plan.errors.append(RowError(number, column, e.code, e.params))
        plan.errors += _consent_problems(number, record, columns)
        plan.errors += _contact_problems(number, record, columns)
        plan.errors += _household_problems(kind, number, record, columns)
        key = _row_key(kind, record, cells, mapping)
        if key in seen:
            plan.errors.append(RowError(number, "", "same_person", {"row": seen[key]}))
            continue
        seen[key] = number
        record["key"] = key
        if key in existing:
            plan.existing += 1
            continue
        plan.new += 1
        if not record.get("consent"):
            plan.without_consent += 1
        plan.records.append(record)
    return plan


#: The details a consent on paper needs from the file, with the problem when one is missing.
_CONSENT_DETAILS = {
    "consent_date": "consent_without_date",
    "consent_language": "consent_without_language",
}


def _consent_problems(
    number: int, record: dict[str, Any], columns: dict[str, str]
) -> list[RowError]:
    """A consent the row gives without its day or notice language: nothing is made up."""
    if not record.get("consent"):
        return []
    problems = []
    for name, code in _CONSENT_DETAILS.items():
        # Absent means the cell could not be read at all: that error is listed already.
        if name in record and record[name] is None:
            problems.append(RowError(number, columns[name], code))
    return problems


def _contact_problems(
    number: int, record: dict[str, Any], columns: dict[str, str]
) -> list[RowError]:
    """A channel by phone without a number in the row (`matcher.domain.contact`)."""
    channel, _worker = record.get("contact_channel") or (None, "")
    if channel in CONTACT_CHANNELS_BY_PHONE and record.get("phone") == "":
        column = columns["contact_channel"]
        return [RowError(number, column, "channel_needs_phone")]
    return []


def _household_problems(
    kind: str, number: int, record: dict[str, Any], columns: dict[str, str]
) -> list[RowError]:
    """Children in a one-person household; a volunteer's family details without
    "families welcome" (`matcher.services.people.households`)."""
    bands = record.get("child_age_bands") or []
    if kind == "newcomers":
        size_column = columns["household_size"]
        if bands and record.get("household_size", 2) < 2:
            return [RowError(number, size_column, "children_need_household")]
        return []
    welcome_column = columns["families_welcome"]
    if not record.get("families_welcome") and (bands or record.get("max_household")):
        return [RowError(number, welcome_column, "family_details_without_welcome")]
    return []


#: Fields left out of a newcomer's row key: added after lists were first imported, so
#: a list imported before they existed is still recognised when imported again.
_NOT_IN_ROW_KEY = frozenset(
    {"phone", "contact_channel", "interpreter", "household_size", "child_age_bands",
     "household_needs"}
)  # fmt: skip


def _row_key(
    kind: str, record: dict[str, Any], cells: list[str], mapping: dict[str, int | None]
) -> str:
    if kind == "volunteers":
        return str(record.get("email", ""))
    if record.get("external_ref"):
        return str(record["external_ref"])
    # No reference number: the row itself is the key, keyed with the secret so the
    # stored value says nothing about the person.
    raw = "\x1f".join(
        cells[i] if i is not None else ""
        for name, i in sorted(mapping.items())
        if name not in _NOT_IN_ROW_KEY
    )
    key = str(current_app.config["SECRET_KEY"]).encode()
    return "row:" + hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()[:40]


def _existing_keys(kind: str, agency: Agency) -> set[str]:
    stmt: Select[Any]
    if kind == "volunteers":
        stmt = select(Volunteer.email).where(Volunteer.agency_id == agency.id)
    else:
        stmt = select(Newcomer.external_ref).where(
            Newcomer.agency_id == agency.id, Newcomer.external_ref.is_not(None)
        )
    return {str(k) for k in db.session.scalars(stmt)}


# --------------------------------------------------------------------------- importing


def run(
    kind: str, agency: Agency, table: Table, mapping: dict[str, int | None], actor: User
) -> Plan:
    """Check again and, when every row is fine, add all new rows to the transaction.

    The caller's transaction holds every row or, when any fails, none: a plan with errors
    writes nothing, and a row someone else imported meanwhile raises `Conflict`.
    """
    plan = check(kind, agency, table, mapping)
    if plan.ok:
        write(plan, agency, actor)
    return plan


def write(
    plan: Plan, agency: Agency, actor: User, progress: ProgressCallback | None = None
) -> None:
    """Add the new rows of a checked plan without errors to the caller's transaction, in
    batches, and audit the import.

    Each batch is a few statements — its people, their new ids, their languages and their
    consents — instead of the unit of work's flush per person. The rows are those the
    model would make: the same columns, the column defaults, and the search key its
    listener keeps (`search_key`).

    :param progress: told the number of rows written, after each batch.
    :raises Conflict: "import_rows_taken" — someone imported some of the same people
        meanwhile (the caller's transaction must then be rolled back: the boundary does).
    """
    if not plan.ok:
        raise ValueError("a plan with errors is never written")
    volunteers = plan.kind == "volunteers"
    person: type[Volunteer] | type[Newcomer] = Volunteer if volunteers else Newcomer
    language: type[VolunteerLanguage] | type[NewcomerLanguage] = (
        VolunteerLanguage if volunteers else NewcomerLanguage
    )
    owner = "volunteer_id" if volunteers else "newcomer_id"
    now = utcnow()
    written = 0
    try:
        for start in range(0, len(plan.records), BATCH):
            batch = plan.records[start : start + BATCH]
            # Core INSERTs on the tables, each one executemany: the ORM's bulk path would
            # split a batch wherever a row leaves a column empty, and a multi-row INSERT
            # with RETURNING costs psycopg more to parse than the rows cost to send. The
            # new ids are then read by each person's key, unique in the agency and file.
            table = _table(person)
            key = table.c.email if volunteers else table.c.external_ref
            keys = [r["email"] if volunteers else r["key"] for r in batch]
            db.session.execute(
                insert(table),
                [_volunteer(agency, r, now) if volunteers else _newcomer(agency, r, actor, now)
                 for r in batch],
            )  # fmt: skip
            id_of = {
                str(person_key): int(person_id)
                for person_id, person_key in db.session.execute(
                    select(table.c.id, key).where(table.c.agency_id == agency.id, key.in_(keys))
                )
            }
            ids = [id_of[k] for k in keys]
            db.session.execute(
                insert(_table(language)),
                [{owner: person_id, "code": code, "level": level}
                 for person_id, r in zip(ids, batch, strict=True)
                 for code, level in r["languages"].items()],
            )  # fmt: skip
            consents = [
                _consent(agency, owner, person_id, r, actor)
                for person_id, r in zip(ids, batch, strict=True)
                if r.get("consent")
            ]
            if consents:
                db.session.execute(insert(_table(ConsentRecord)), consents)
            written += len(batch)
            if progress is not None:
                progress(written)
    except IntegrityError:
        # Someone imported the same rows at the same moment: the boundary undoes ours.
        raise Conflict("import_rows_taken") from None
    audit.about(f"import.{plan.kind}", agency, actor)


def _table(model: type[Any]) -> SqlTable:
    """A model's table, for Core statements."""
    return cast(SqlTable, model.__table__)


def _volunteer(agency: Agency, r: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The columns of an imported volunteer (the others take their defaults)."""
    postcode, lat, lon = r["postcode"]
    return {
        "agency_id": agency.id,
        "first_name": r["first_name"],
        "last_name": r["last_name"],
        "email": r["email"],
        # Only a consent taken on paper makes an imported volunteer confirmed.
        "email_confirmed_at": now if r.get("consent") else None,
        "phone": r.get("phone") or "",
        "postcode": postcode,
        "lat": lat,
        "lon": lon,
        "age_band": r["age_band"],
        "gender": r.get("gender"),
        "slots": slots_to_mask(r.get("slots") or []),
        "topics": r.get("topics") or [],
        "capacity": r.get("capacity") or 1,
        "status": _volunteer_status(r),
        "families_welcome": bool(r.get("families_welcome")),
        "max_household": r.get("max_household"),
        "child_age_bands": r.get("child_age_bands") or [],
        "search_key": search_key(r["first_name"], r["last_name"], r["email"]),
    }


def _volunteer_status(r: dict[str, Any]) -> str:
    """The file's status; without consent "applied" (waiting for the interview) unless gone."""
    status = str(r.get("status") or "applied")
    if not r.get("consent") and status != "inactive":
        # Never matched without consent: "active" would promise what cannot happen.
        return "applied"
    return status


def _newcomer(agency: Agency, r: dict[str, Any], actor: User, now: datetime) -> dict[str, Any]:
    """The columns of an imported newcomer (the others take their defaults)."""
    postcode, lat, lon = r["postcode"]
    channel, worker = r.get("contact_channel") or (None, "")
    return {
        "agency_id": agency.id,
        "external_ref": r["key"],
        "first_name": r["first_name"],
        "contact_note": r.get("contact_note") or "",
        "postcode": postcode,
        "lat": lat,
        "lon": lon,
        "age_band": r["age_band"],
        "slots": slots_to_mask(r.get("slots") or []),
        "topics": r.get("topics") or [],
        # Children's age bands mean children in the household: the certificate rule's flag.
        "minors": bool(r.get("minors")) or bool(r.get("child_age_bands")),
        "household_size": r.get("household_size") or 1,
        "child_age_bands": r.get("child_age_bands") or [],
        "household_needs": r.get("household_needs") or [],
        "mentor_gender": r.get("mentor_gender"),
        "phone": r.get("phone") or "",
        "contact_channel": channel,
        "social_worker_contact": worker,
        "interpreter_needed": r.get("interpreter") is not None,
        "interpreter_language": r.get("interpreter"),
        "correspondence_language": default_correspondence_language(r["languages"]),
        "status": "waiting",
        "waiting_since": r.get("waiting_since") or now.date(),
        "created_by_id": actor.id,
        "search_key": search_key(r["first_name"]),
    }


def _consent(
    agency: Agency, owner: str, person_id: int, r: dict[str, Any], actor: User
) -> dict[str, Any]:
    """The consent on paper a row states, for the person `owner` (volunteer_id or
    newcomer_id) names."""
    # `check` refused every consent without its day and language: both come from the file.
    given, language = r["consent_date"], r["consent_language"]
    return {
        "agency_id": agency.id,
        "volunteer_id": person_id if owner == "volunteer_id" else None,
        "newcomer_id": person_id if owner == "newcomer_id" else None,
        "purpose": "matching",
        "notice_version": notice_version_for(agency, language, newcomer=owner == "newcomer_id"),
        "language": language,
        "given_at": datetime.combine(given, clock(12), tzinfo=UTC),
        "channel": "paper",
        "taken_by_id": actor.id,
    }
