"""The newcomer (Neuzugewanderte): registered by a coordinator, usually without an account."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.domain.eligibility import NewcomerRules
from matcher.domain.locales import DOCUMENT_LANGUAGES
from matcher.domain.vocab import (
    AGE_BANDS,
    ALL_SLOTS_MASK,
    CONTACT_CHANNELS,
    CONTACT_CHANNELS_BY_PHONE,
    GENDERS,
    HOUSEHOLD_SIZE_MAX,
    NEWCOMER_STATUSES,
)
from matcher.models.base import (
    JSON_LIST,
    NEVER_REUSE_IDS,
    NO_BANDS,
    Base,
    UTCDateTime,
    check_in,
    utcnow,
)
from matcher.models.consent import ConsentRecord
from matcher.models.language import NewcomerLanguage
from matcher.models.search import keep_search_key, search_index
from matcher.models.tenant import TenantScoped


class Newcomer(NewcomerRules, TenantScoped, Base):
    """A newcomer or family waiting for, or accompanied by, a volunteer."""

    __tablename__ = "newcomers"
    __table_args__ = (
        CheckConstraint(check_in("status", NEWCOMER_STATUSES), name="status_valid"),
        CheckConstraint(check_in("age_band", AGE_BANDS), name="age_band_valid"),
        CheckConstraint(
            f"mentor_gender IS NULL OR {check_in('mentor_gender', GENDERS)}",
            name="mentor_gender_valid",
        ),
        CheckConstraint(f"slots BETWEEN 0 AND {ALL_SLOTS_MASK}", name="slots_range"),
        CheckConstraint(
            "max_distance_km IS NULL OR max_distance_km > 0", name="max_distance_positive"
        ),
        CheckConstraint(f"gender IS NULL OR {check_in('gender', GENDERS)}", name="gender_valid"),
        CheckConstraint(
            f"contact_channel IS NULL OR {check_in('contact_channel', CONTACT_CHANNELS)}",
            name="contact_channel_valid",
        ),
        # A channel by phone needs a number; through a social worker needs their contact.
        CheckConstraint(
            "contact_channel IS NULL OR phone <> '' OR "
            f"NOT {check_in('contact_channel', CONTACT_CHANNELS_BY_PHONE)}",
            name="contact_channel_phone",
        ),
        CheckConstraint(
            "contact_channel IS NULL OR contact_channel <> 'social_worker' "
            "OR social_worker_contact <> ''",
            name="contact_channel_social_worker",
        ),
        CheckConstraint(
            "(interpreter_language IS NOT NULL) = interpreter_needed",
            name="interpreter_language_needed",
        ),
        CheckConstraint(
            check_in("correspondence_language", DOCUMENT_LANGUAGES),
            name="correspondence_language_valid",
        ),
        # Households (a family): 1 to 15 people; children's age bands mean children live
        # there, so the certificate rule's `minors` is set (matcher.services.people.households).
        CheckConstraint(
            f"household_size BETWEEN 1 AND {HOUSEHOLD_SIZE_MAX}", name="household_size_range"
        ),
        CheckConstraint(
            f"minors OR CAST(child_age_bands AS TEXT) = '{NO_BANDS}'", name="children_are_minors"
        ),
        UniqueConstraint("agency_id", "external_ref", name="uq_newcomers_agency_external_ref"),
        # Indexes lead with agency_id: every query here is one agency's (matcher.tenancy).
        # Counts by status, and who waits (the matching, the dashboard, the figures).
        Index("ix_newcomers_agency_status", "agency_id", "status"),
        # The list, longest waiting first, a page at a time, and its count, without a sort
        # or a visit to the table. Erased people are never listed, so they are not in it.
        Index(
            "ix_newcomers_agency_waiting",
            "agency_id",
            "waiting_since",
            "id",
            sqlite_where=text("anonymised_at IS NULL"),
            postgresql_where=text("anonymised_at IS NULL"),
        ),
        # Search by first name: trigrams on PostgreSQL (matcher.models.search).
        search_index("newcomers"),
        NEVER_REUSE_IDS,
    )
    # The composite indexes above lead with agency_id and serve lookups by agency alone.
    agency_id_indexed = False

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    # Newcomers are reached through the coordinator: a note such as "via Unterkunft X".
    contact_note: Mapped[str] = mapped_column(String(300), default="")
    # E.164 ("+49221123456", matcher.domain.phones), or "" when she has none.
    phone: Mapped[str] = mapped_column(String(16), default="", server_default=text("''"))
    # How she prefers to be reached (CONTACT_CHANNELS); None: not recorded yet.
    contact_channel: Mapped[str | None] = mapped_column(String(16))
    # For "through a social worker": whom to call, e.g. "Frau Yilmaz, Caritas, 0221 123".
    social_worker_contact: Mapped[str] = mapped_column(
        String(120), default="", server_default=text("''")
    )
    interpreter_needed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A code of the spoken-language vocabulary, set exactly when an interpreter is needed.
    interpreter_language: Mapped[str | None] = mapped_column(String(8))
    # The language her letters and messages are written in (one of DOCUMENT_LANGUAGES).
    correspondence_language: Mapped[str] = mapped_column(
        String(8), default="de", server_default="de"
    )
    postcode: Mapped[str] = mapped_column(String(5), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    age_band: Mapped[str] = mapped_column(String(16))
    slots: Mapped[int] = mapped_column(Integer, default=0)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    minors: Mapped[bool] = mapped_column(Boolean, default=False)
    mentor_gender: Mapped[str | None] = mapped_column(String(16))
    # -- issue 13: control over the matching ------------------------------------------------
    #: How far she can travel (mobility); None: the agency's limit alone.
    max_distance_km: Mapped[float | None] = mapped_column(Float)
    #: Her own gender, for an agency's same-gender or women-only tandems (None: not given).
    gender: Mapped[str | None] = mapped_column(String(16))
    #: Interests from the agency's list (None: none chosen).
    interests: Mapped[list[str] | None] = mapped_column(JSON)
    # The household: how many people (she counts), the children's age bands
    # (CHILD_AGE_BANDS) and what the family needs (HOUSEHOLD_NEEDS).
    household_size: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    child_age_bands: Mapped[list[str]] = mapped_column(
        JSON_LIST, default=list, server_default=text(f"'{NO_BANDS}'")
    )
    household_needs: Mapped[list[str]] = mapped_column(
        JSON_LIST, default=list, server_default=text(f"'{NO_BANDS}'")
    )
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    waiting_since: Mapped[date] = mapped_column(Date, default=lambda: utcnow().date())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when the person was erased or anonymised: names and contact are gone, counts stay.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The key of an imported row (the sheet's own number, or a hash of the row), so that
    # importing the same list twice creates nobody twice.
    external_ref: Mapped[str | None] = mapped_column(String(64))
    # The first name folded for search (matcher.models.search); kept current on every
    # change, and empty once the person is anonymised.
    search_key: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))

    languages: Mapped[list[NewcomerLanguage]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by=NewcomerLanguage.code
    )
    # A read-only view for the eligibility rules' Python twins (matcher.domain.eligibility).
    consents: Mapped[list[ConsentRecord]] = relationship(
        viewonly=True, order_by=ConsentRecord.id, foreign_keys=[ConsentRecord.newcomer_id]
    )

    def __repr__(self) -> str:
        return f"<Newcomer {self.id}>"


keep_search_key(Newcomer, ("first_name",))
