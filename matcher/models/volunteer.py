"""The volunteer (Pate/Patin)."""

from datetime import date, datetime
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from matcher.models.match import Match

from matcher.domain.eligibility import VolunteerRules
from matcher.domain.vocab import (
    AGE_BANDS,
    ALL_SLOTS_MASK,
    CERTIFICATE_RESULTS,
    GENDERS,
    HOUSEHOLD_SIZE_MAX,
    VOLUNTEER_STATUSES,
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
from matcher.models.language import VolunteerLanguage
from matcher.models.onboarding import OnboardingDone, OnboardingStep
from matcher.models.search import keep_search_key, search_index
from matcher.models.tenant import TenantScoped


class Volunteer(VolunteerRules, TenantScoped, Base):
    """A volunteer who signed up with one agency."""

    __tablename__ = "volunteers"
    __table_args__ = (
        UniqueConstraint("agency_id", "email", name="uq_volunteers_agency_email"),
        CheckConstraint(check_in("status", VOLUNTEER_STATUSES), name="status_valid"),
        CheckConstraint(check_in("age_band", AGE_BANDS), name="age_band_valid"),
        CheckConstraint(f"gender IS NULL OR {check_in('gender', GENDERS)}", name="gender_valid"),
        CheckConstraint("capacity BETWEEN 0 AND 3", name="capacity_range"),
        CheckConstraint(f"slots BETWEEN 0 AND {ALL_SLOTS_MASK}", name="slots_range"),
        CheckConstraint(
            f"certificate_result IS NULL OR {check_in('certificate_result', CERTIFICATE_RESULTS)}",
            name="certificate_result_valid",
        ),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        # How many people they meet is said only by someone who welcomes families (2 to 15);
        # so are the children's ages they like to meet.
        CheckConstraint(
            "max_household IS NULL OR "
            f"(families_welcome AND max_household BETWEEN 2 AND {HOUSEHOLD_SIZE_MAX})",
            name="max_household_range",
        ),
        CheckConstraint(
            f"families_welcome OR CAST(child_age_bands AS TEXT) = '{NO_BANDS}'",
            name="child_age_bands_for_families",
        ),
        # Indexes lead with agency_id: every query here is one agency's (matcher.tenancy).
        # Counts by status, and who is active (the matching, the dashboard, certificates).
        Index("ix_volunteers_agency_status", "agency_id", "status"),
        # The list in name order, a page at a time, and its count, without a sort or a
        # visit to the table; the admin's volunteers per agency too. Erased people are
        # never listed, so they are not in it.
        Index(
            "ix_volunteers_agency_name",
            "agency_id",
            "last_name",
            "first_name",
            "id",
            sqlite_where=text("anonymised_at IS NULL"),
            postgresql_where=text("anonymised_at IS NULL"),
        ),
        # Search by name or e-mail: trigrams on PostgreSQL (matcher.models.search).
        search_index("volunteers"),
        NEVER_REUSE_IDS,
    )
    # The composite indexes above lead with agency_id and serve lookups by agency alone.
    agency_id_indexed = False

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phone: Mapped[str] = mapped_column(String(40), default="")
    postcode: Mapped[str] = mapped_column(String(5), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    age_band: Mapped[str] = mapped_column(String(16))
    gender: Mapped[str | None] = mapped_column(String(16))
    # Weekly availability: bit i is matcher.domain.vocab.SLOTS[i].
    slots: Mapped[int] = mapped_column(Integer, default=0)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Interests from the agency's list (issue 13; None: none chosen).
    interests: Mapped[list[str] | None] = mapped_column(JSON)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="applied")
    motivation: Mapped[str] = mapped_column(Text, default="")
    can_show_certificate: Mapped[bool] = mapped_column(Boolean, default=False)
    # §72a SGB VIII: only the fact of inspection, never a copy of the certificate.
    certificate_inspected_on: Mapped[date | None] = mapped_column(Date)
    certificate_issued_on: Mapped[date | None] = mapped_column(Date)
    certificate_result: Mapped[str | None] = mapped_column(String(16))
    certificate_inspected_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Families: whether they welcome a newcomer with her family, how many people at most
    # (None: any size), and the children's ages they like to meet (empty: no preference).
    families_welcome: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    max_household: Mapped[int | None] = mapped_column(Integer)
    child_age_bands: Mapped[list[str]] = mapped_column(
        JSON_LIST, default=list, server_default=text(f"'{NO_BANDS}'")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when the person was erased or anonymised: names and contact are gone, counts stay.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language the volunteer uses the site in: their mails are written in it.
    locale: Mapped[str] = mapped_column(String(8), default="de", server_default="de")
    # Bumped to revoke every magic link sent so far.
    token_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # First name, last name and e-mail folded for search (matcher.models.search); kept
    # current on every change, and empty once the person is anonymised.
    search_key: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))

    languages: Mapped[list[VolunteerLanguage]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by=VolunteerLanguage.code
    )
    # Read-only views for the eligibility rules' Python twins (matcher.domain.eligibility).
    consents: Mapped[list[ConsentRecord]] = relationship(
        viewonly=True, order_by=ConsentRecord.id, foreign_keys=[ConsentRecord.volunteer_id]
    )
    matches: Mapped[list["Match"]] = relationship(
        viewonly=True, foreign_keys="Match.volunteer_id", order_by="Match.id"
    )
    # The agency's onboarding checklist (archived steps too) and the steps they have done.
    onboarding_steps: Mapped[list[OnboardingStep]] = relationship(
        viewonly=True,
        primaryjoin="Volunteer.agency_id == foreign(OnboardingStep.agency_id)",
        order_by=(OnboardingStep.position, OnboardingStep.id),
    )
    onboarding_done: Mapped[list[OnboardingDone]] = relationship(
        viewonly=True, order_by=OnboardingDone.id
    )

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        return f"<Volunteer {self.id}>"


keep_search_key(Volunteer, ("first_name", "last_name", "email"))
