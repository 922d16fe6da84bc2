"""Notes and contacts on a timeline: of a volunteer, a newcomer or a Patenschaft.

An entry is edited with its history kept (`NoteVersion`, one row per replaced version) and
deleted softly: who deleted it and when stay, its text goes (`matcher.services.people.notes`).
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matcher.domain.notes import CHANNELS, KINDS, PARTIES
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow
from matcher.models.tenant import TenantScoped

_ONE_SUBJECT = (
    "(CASE WHEN volunteer_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN newcomer_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN match_id IS NULL THEN 0 ELSE 1 END) = 1"
)
_CONTACT_FIELDS = (
    "(kind = 'contact' AND channel IS NOT NULL AND party IS NOT NULL)"
    " OR (kind = 'note' AND channel IS NULL AND party IS NULL)"
)


def _entry_checks() -> tuple[CheckConstraint, ...]:
    return (
        CheckConstraint(check_in("kind", KINDS), name="kind_valid"),
        CheckConstraint(
            f"channel IS NULL OR {check_in('channel', CHANNELS)}", name="channel_valid"
        ),
        CheckConstraint(f"party IS NULL OR {check_in('party', PARTIES)}", name="party_valid"),
        CheckConstraint(_CONTACT_FIELDS, name="contact_fields"),
    )


class Note(TenantScoped, Base):
    """One entry on a timeline: a note, or a contact (who, with whom, when, channel, text)."""

    __tablename__ = "notes"
    __table_args__ = (
        *_entry_checks(),
        CheckConstraint(_ONE_SUBJECT, name="one_subject"),
        # A form submitted twice carries the same key: the second finds the first.
        UniqueConstraint("agency_id", "submission_key", name="uq_notes_agency_submission_key"),
        NEVER_REUSE_IDS,
    )
    # The unique constraint leads with agency_id and serves lookups by agency alone.
    agency_id_indexed = False

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the entry is about: exactly one of the three.
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    newcomer_id: Mapped[int | None] = mapped_column(
        ForeignKey("newcomers.id", ondelete="CASCADE"), index=True
    )
    match_id: Mapped[int | None] = mapped_column(
        ForeignKey("matches.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str | None] = mapped_column(String(16))
    # With whom: the volunteer, the newcomer, both, or someone else (e.g. a social worker).
    party: Mapped[str | None] = mapped_column(String(16))
    # When the contact took place (a note: when it was written).
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Which staff member was in contact (a colleague may record another's call).
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submission_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Optimistic locking: an UPDATE from a stale form matches no row and fails.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def subject(self) -> tuple[str, int]:
        """What the entry is about: ("volunteer" | "newcomer" | "match", its id)."""
        for name in ("volunteer", "newcomer", "match"):
            value = getattr(self, f"{name}_id")
            if value is not None:
                return name, int(value)
        raise ValueError("a note about nothing")


class NoteVersion(TenantScoped, Base):
    """An earlier version of a timeline entry, as it was before someone changed it."""

    __tablename__ = "note_versions"
    __table_args__ = (*_entry_checks(), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    # The entry's version number this row keeps.
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str | None] = mapped_column(String(16))
    party: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who saved this version, and when (the entry's creation or an earlier edit).
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who replaced it with the next version, or deleted the entry, and when.
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
