"""The texts of newcomers' documents that an agency owns: shipped drafts to start from, every
saved change a new kept version, reviews of translations, and where each language stands.

Shipped texts are files in the package (`matcher/documents/<kind>/<language>.txt`), version
0; an agency's own versions count from 1 and are never changed. A translation records the
German version it was made or reviewed against, so a newer German text makes it outdated.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources

from babel.dates import format_date, format_time
from sqlalchemy import select

from matcher.domain import audit, documents, locales
from matcher.domain.documents import TextState
from matcher.domain.errors import Conflict, Invalid, NotFound, Refused
from matcher.extensions import db
from matcher.models import Agency, DocumentText, User, utcnow


@dataclass(frozen=True)
class Text:
    """One version of one document in one language: its words and where it stands."""

    state: TextState
    body: str
    saved_at: datetime | None
    reviewed_at: datetime | None
    reviewed_by: str

    @property
    def version(self) -> int:
        """0 for the shipped text, else the agency's version number."""
        return self.state.version

    @property
    def reference(self) -> str:
        """What a consent records as the notice's version: the agency's version number, or
        for the shipped text "0:" and the start of its SHA-256 (a later release may ship
        other words as version 0 too)."""
        if self.version:
            return str(self.version)
        return "0:" + hashlib.sha256(self.body.encode("utf-8")).hexdigest()[:12]


@cache
def shipped_text(kind: str, language: str) -> str:
    """The text shipped with matcher for this document and language (version 0)."""
    documents.check_kind(kind)
    documents.check_language(language)
    path = resources.files("matcher") / "documents" / kind / f"{language}.txt"
    return path.read_text(encoding="utf-8")


def _agency_id(agency: Agency | int) -> int:
    return agency if isinstance(agency, int) else agency.id


def _rows(agency_id: int, kind: str | None = None) -> list[DocumentText]:
    query = select(DocumentText).where(DocumentText.agency_id == agency_id)
    if kind is not None:
        query = query.where(DocumentText.kind == kind)
    return list(db.session.scalars(query.order_by(DocumentText.version)))


def _newest(rows: list[DocumentText]) -> dict[tuple[str, str], DocumentText]:
    newest: dict[tuple[str, str], DocumentText] = {}
    for row in rows:  # ordered by version: the last one wins
        newest[(row.kind, row.language)] = row
    return newest


def _text(kind: str, language: str, row: DocumentText | None, current_german: int) -> Text:
    if row is None:
        state = TextState(kind, language, 0, "shipped", None if language == "de" else 0, False,
                          current_german)  # fmt: skip
        return Text(state, shipped_text(kind, language), None, None, "")
    state = TextState(kind, language, row.version, "agency", row.german_version,
                      row.reviewed_at is not None, current_german)  # fmt: skip
    return Text(state, row.body, row.created_at, row.reviewed_at, row.reviewed_by_name)


def current_version(agency: Agency | int, kind: str, language: str) -> Text:
    """The text an agency prints now for this document and language, with its version
    (0: the shipped text) — e.g. to record with a consent which notice was shown."""
    documents.check_kind(kind)
    documents.check_language(language)
    newest = _newest(_rows(_agency_id(agency), kind))
    german = newest.get((kind, "de"))
    return _text(kind, language, newest.get((kind, language)), german.version if german else 0)


def coverage(agency: Agency | int) -> list[TextState]:
    """Every document × language: shipped or own version, draft, reviewed, outdated."""
    newest = _newest(_rows(_agency_id(agency)))
    states = []
    for kind in documents.KINDS:
        german = newest.get((kind, "de"))
        for language in locales.DOCUMENT_LANGUAGES:
            row = newest.get((kind, language))
            states.append(_text(kind, language, row, german.version if german else 0).state)
    return states


def history(agency: Agency | int, kind: str, language: str) -> list[DocumentText]:
    """Every saved version, newest first (the shipped text, version 0, is not a row)."""
    documents.check_kind(kind)
    documents.check_language(language)
    rows = [r for r in _rows(_agency_id(agency), kind) if r.language == language]
    return rows[::-1]


def version(agency: Agency | int, kind: str, language: str, number: int) -> Text:
    """One version as it was saved (0: the shipped text); NotFound if there is none."""
    documents.check_kind(kind)
    documents.check_language(language)
    if number == 0:
        return _text(kind, language, None, 0)
    rows = _rows(_agency_id(agency), kind)
    row = next((r for r in rows if r.language == language and r.version == number), None)
    if row is None:
        raise NotFound("document_version_unknown", version=number)
    german = max((r.version for r in rows if r.language == "de"), default=0)
    return _text(kind, language, row, german)


def save_text(
    agency: Agency, kind: str, language: str, body: str, actor: User, *,
    based_on: int, reviewed: bool = False,
) -> DocumentText:  # fmt: skip
    """Save a changed text as the next version. `based_on` is the version the editor
    started from: if someone saved meanwhile, Conflict. `reviewed`: the editor confirms
    that this translation matches the current German text."""
    body = body.replace("\r\n", "\n").strip() + "\n"
    documents.validate(kind, body)
    current = current_version(agency, kind, language)
    if current.version != based_on:
        raise Conflict("document_changed_meanwhile")
    if body == current.body:
        raise Invalid("document_text_unchanged")
    return _add(agency, current, body, actor, reviewed=reviewed, action="document_text.saved")


def confirm_review(
    agency: Agency, kind: str, language: str, actor: User, *, based_on: int
) -> DocumentText:
    """Record that someone at the agency reviewed the current translation against the
    current German text: a new version with the same words, no longer a draft."""
    if language == "de":
        raise Refused("document_review_german")
    current = current_version(agency, kind, language)
    if current.version != based_on:
        raise Conflict("document_changed_meanwhile")
    return _add(agency, current, current.body, actor, reviewed=True,
                action="document_text.reviewed")  # fmt: skip


def _add(
    agency: Agency, current: Text, body: str, actor: User, *, reviewed: bool, action: str
) -> DocumentText:
    state = current.state
    now = utcnow()
    row = DocumentText(
        agency_id=agency.id,
        kind=state.kind,
        language=state.language,
        version=state.version + 1,
        body=body,
        german_version=None if state.language == "de" else state.current_german,
        created_at=now,
        created_by_id=actor.id,
        reviewed_at=now if reviewed and state.language != "de" else None,
        reviewed_by_id=actor.id if reviewed and state.language != "de" else None,
        reviewed_by_name=(actor.name or actor.email) if reviewed and state.language != "de" else "",
    )
    db.session.add(row)
    db.session.flush()
    audit.about(action, row, actor)
    return row


#: Babel has no locale of its own for Dari: dates are written as in Afghan Persian.
_BABEL_LOCALES = {"prs": "fa_AF"}


def format_meeting(starts_at: datetime, language: str) -> tuple[str, str]:
    """A meeting's local date and time written in a document language."""
    locale = _BABEL_LOCALES.get(language, language)
    return format_date(starts_at.date(), "full", locale=locale), format_time(
        starts_at.timetz(), "short", locale=locale
    )
