"""The agency's own texts of newcomers' documents, every saved change a kept version, and the
first meeting of a Patenschaft that the introduction letter and its calendar file announce."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matcher.domain.documents import KINDS
from matcher.domain.locales import DOCUMENT_LANGUAGES
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow
from matcher.models.tenant import TenantScoped


class DocumentText(TenantScoped, Base):
    """One version of one document in one language, as the agency saved it; never changed.

    Version 0 is the shipped text (a file in the package, not a row); the agency's own
    versions count from 1. A translation keeps the German version it was made or reviewed
    against; a review is a new version with the same text, recorded with who and when.
    """

    __tablename__ = "document_texts"
    __table_args__ = (
        CheckConstraint(check_in("kind", KINDS), name="kind_valid"),
        CheckConstraint(check_in("language", DOCUMENT_LANGUAGES), name="language_valid"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(
            "(reviewed_at IS NULL) = (reviewed_by_name = '')", name="review_has_reviewer"
        ),
        # One row per version; the newest is found by this index (it leads with agency_id).
        Index("uq_document_texts_version", "agency_id", "kind", "language", "version", unique=True),
        NEVER_REUSE_IDS,
    )
    agency_id_indexed = False

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    # The German version this translation was made or reviewed against (None for German).
    german_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept when the account is deleted: who confirmed a review is part of the record.
    reviewed_by_name: Mapped[str] = mapped_column(String(200), default="")


class FirstMeeting(TenantScoped, Base):
    """When and where a Patenschaft's pair meets first, as the coordinator arranged it."""

    __tablename__ = "first_meetings"
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 15 AND 480", name="duration_valid"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), unique=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    place: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
