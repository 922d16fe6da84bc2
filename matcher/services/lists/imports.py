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
"""

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from matcher.domain import audit
from matcher.domain.errors import Conflict, Invalid, NotFound
from matcher.domain.vocab import slots_to_mask
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
from matcher.services.lists.import_fields import FIELDS, CellError, Field, suggest_mapping
from matcher.services.lists.spreadsheet import Table, read_table

__all__ = ["FIELDS", "Plan", "RowError", "check", "run", "suggest_mapping"]

STASH_SECONDS = 24 * 3600
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
    read_table(filename, data)
    folder = _stash_dir()
    cutoff = time.time() - STASH_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    meta = {"filename": filename, "kind": kind, "agency_id": agency.id, "user_id": user.id}
    (folder / f"{token}.json").write_text(json.dumps(meta))
    return token


def unstash(token: str, user: User) -> tuple[dict[str, Any], Table]:
    """The upload behind a token (only for the user who uploaded it) and its table."""
    if not _TOKEN.fullmatch(token):
        raise NotFound("import_upload_expired")
    folder = _stash_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
        data = (folder / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        raise NotFound("import_upload_expired") from None
    if meta.get("user_id") != user.id:
        raise NotFound("import_upload_expired")
    return meta, read_table(meta["filename"], data)


def discard(token: str) -> None:
    """Remove a stashed upload once it was imported."""
    if _TOKEN.fullmatch(token):
        for suffix in (".bin", ".json"):
            (_stash_dir() / f"{token}{suffix}").unlink(missing_ok=True)


# --------------------------------------------------------------------------- checking


def check(kind: str, agency: Agency, table: Table, mapping: dict[str, int | None]) -> Plan:
    """Read every row with the column mapping; list every error. Writes nothing."""
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
    existing = _existing_keys(kind, agency)
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        plan.rows += 1
        record: dict[str, Any] = {"row": number}
        for f in fields:
            index = mapping.get(f.name)
            cell = cells[index] if index is not None else ""
            # Errors name the sheet's own column, which is what the user will correct.
            column = table.headers[index] if index is not None else str(f.label)
            if f.required and not cell:
                plan.errors.append(RowError(number, column, "empty"))
                continue
            try:
                record[f.name] = f.read(cell)
            except CellError as e:
                plan.errors.append(RowError(number, column, e.code, e.params))
        plan.errors += _consent_problems(number, record, table, mapping, fields)
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
    number: int,
    record: dict[str, Any],
    table: Table,
    mapping: dict[str, int | None],
    fields: tuple[Field, ...],
) -> list[RowError]:
    """A consent the row gives without its day or notice language: nothing is made up."""
    if not record.get("consent"):
        return []
    problems = []
    labels = {f.name: str(f.label) for f in fields}
    for name, code in _CONSENT_DETAILS.items():
        # Absent means the cell could not be read at all: that error is listed already.
        if name in record and record[name] is None:
            index = mapping.get(name)
            column = table.headers[index] if index is not None else labels[name]
            problems.append(RowError(number, column, code))
    return problems


def _row_key(
    kind: str, record: dict[str, Any], cells: list[str], mapping: dict[str, int | None]
) -> str:
    if kind == "volunteers":
        return str(record.get("email", ""))
    if record.get("external_ref"):
        return str(record["external_ref"])
    # No reference number: the row itself is the key, keyed with the secret so the
    # stored value says nothing about the person.
    raw = "\x1f".join(cells[i] if i is not None else "" for _n, i in sorted(mapping.items()))
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
    if not plan.ok:
        return plan
    now = utcnow()
    try:
        for record in plan.records:
            person: Volunteer | Newcomer = (
                _volunteer(agency, record, now)
                if kind == "volunteers"
                else _newcomer(agency, record, actor, now)
            )
            db.session.add(person)
            db.session.flush()  # the consent needs the person's id
            if record.get("consent"):
                _consent(agency, person, record, actor)
        db.session.flush()
    except IntegrityError:
        # Someone imported the same rows at the same moment: the boundary undoes ours.
        raise Conflict("import_rows_taken") from None
    audit.about(f"import.{kind}", agency, actor)
    return plan


def _volunteer(agency: Agency, r: dict[str, Any], now: datetime) -> Volunteer:
    postcode, lat, lon = r["postcode"]
    return Volunteer(
        agency_id=agency.id,
        first_name=r["first_name"],
        last_name=r["last_name"],
        email=r["email"],
        # Only a consent taken on paper makes an imported volunteer confirmed.
        email_confirmed_at=now if r.get("consent") else None,
        phone=r.get("phone") or "",
        postcode=postcode,
        lat=lat,
        lon=lon,
        age_band=r["age_band"],
        gender=r.get("gender"),
        slots=slots_to_mask(r.get("slots") or []),
        topics=r.get("topics") or [],
        capacity=r.get("capacity") or 1,
        status=_volunteer_status(r),
        languages=[VolunteerLanguage(code=c, level=lv) for c, lv in r["languages"].items()],
    )


def _volunteer_status(r: dict[str, Any]) -> str:
    """The file's status; without consent "applied" (waiting for the interview) unless gone."""
    status = str(r.get("status") or "applied")
    if not r.get("consent") and status != "inactive":
        # Never matched without consent: "active" would promise what cannot happen.
        return "applied"
    return status


def _newcomer(agency: Agency, r: dict[str, Any], actor: User, now: datetime) -> Newcomer:
    postcode, lat, lon = r["postcode"]
    return Newcomer(
        agency_id=agency.id,
        external_ref=r["key"],
        first_name=r["first_name"],
        contact_note=r.get("contact_note") or "",
        postcode=postcode,
        lat=lat,
        lon=lon,
        age_band=r["age_band"],
        slots=slots_to_mask(r.get("slots") or []),
        topics=r.get("topics") or [],
        minors=bool(r.get("minors")),
        mentor_gender=r.get("mentor_gender"),
        status="waiting",
        waiting_since=r.get("waiting_since") or now.date(),
        created_by_id=actor.id,
        languages=[NewcomerLanguage(code=c, level=lv) for c, lv in r["languages"].items()],
    )


def _consent(agency: Agency, person: Volunteer | Newcomer, r: dict[str, Any], actor: User) -> None:
    # `check` refused every consent without its day and language: both come from the file.
    given, language = r["consent_date"], r["consent_language"]
    db.session.add(
        ConsentRecord(
            agency_id=agency.id,
            volunteer_id=person.id if isinstance(person, Volunteer) else None,
            newcomer_id=person.id if isinstance(person, Newcomer) else None,
            purpose="matching",
            notice_version=agency.privacy_notice_version,
            language=language,
            given_at=datetime.combine(given, clock(12), tzinfo=UTC),
            channel="paper",
            taken_by_id=actor.id,
        )
    )
