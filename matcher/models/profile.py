"""Data quality: the history of a person's details, and pairs marked "not a duplicate"."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow
from matcher.models.tenant import TenantScoped

#: Who made a change: a coordinator's form, the volunteer's own profile, or a merge.
CHANGE_SOURCES = ("coordinator", "self", "merge")
PERSON_KINDS = ("volunteer", "newcomer")


class ProfileChange(TenantScoped, Base):
    """One changed field of one person's details: old and new value, who, when.

    The person is named by a foreign key (exactly one of the two), so the history goes
    with the person: it cascades on deletion and moves with the rest on a merge.
    """

    __tablename__ = "profile_changes"
    __table_args__ = (
        CheckConstraint(
            "(volunteer_id IS NULL) <> (newcomer_id IS NULL)", name="exactly_one_person"
        ),
        CheckConstraint(check_in("source", CHANGE_SOURCES), name="source_valid"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    newcomer_id: Mapped[int | None] = mapped_column(
        ForeignKey("newcomers.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def person_kind(self) -> str:
        """ "volunteer" or "newcomer"."""
        return "volunteer" if self.volunteer_id is not None else "newcomer"


class DuplicateDismissal(TenantScoped, Base):
    """Two people a coordinator looked at and said are not the same person ("kein Duplikat").

    Ids only (the smaller first), no foreign key: it names no one, and a pair whose person
    is gone simply matches nobody any more.
    """

    __tablename__ = "duplicate_dismissals"
    __table_args__ = (
        CheckConstraint(check_in("kind", PERSON_KINDS), name="kind_valid"),
        CheckConstraint("first_id < second_id", name="ordered"),
        UniqueConstraint(
            "agency_id", "kind", "first_id", "second_id", name="uq_duplicate_dismissals_pair"
        ),
        NEVER_REUSE_IDS,
    )
    # The unique constraint leads with agency_id and serves lookups by agency alone.
    agency_id_indexed = False

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    first_id: Mapped[int] = mapped_column(Integer)
    second_id: Mapped[int] = mapped_column(Integer)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
