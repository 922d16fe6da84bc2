"""A coordinator's rule about one volunteer–newcomer pair: pin it, or forbid it for good.

Every later run keeps the rule: a pinned pair goes to the engine as pinned (and becomes the
newcomer's proposal), a forbidden one as forbidden (`services/matching/problem.py`).
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.domain.vocab import PAIR_RULE_KINDS
from matcher.models.base import NEVER_REUSE_IDS, Base, UTCDateTime, check_in, utcnow
from matcher.models.newcomer import Newcomer
from matcher.models.tenant import TenantScoped
from matcher.models.user import User
from matcher.models.volunteer import Volunteer


class PairRule(TenantScoped, Base):
    """ "Pin" (always propose this pair) or "forbid" (never), with the reason and who set it."""

    __tablename__ = "pair_rules"
    __table_args__ = (
        CheckConstraint(check_in("kind", PAIR_RULE_KINDS), name="kind_valid"),
        # One rule per pair: pinned or forbidden, not both.
        UniqueConstraint("volunteer_id", "newcomer_id", name="uq_pair_rules_pair"),
        # One pinned volunteer per newcomer.
        Index(
            "uq_pair_rules_pinned_newcomer",
            "newcomer_id",
            unique=True,
            sqlite_where=text("kind = 'pin'"),
            postgresql_where=text("kind = 'pin'"),
        ),
        Index("ix_pair_rules_agency_kind", "agency_id", "kind"),
        NEVER_REUSE_IDS,
    )
    agency_id_indexed = False

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    volunteer: Mapped[Volunteer] = relationship()
    newcomer: Mapped[Newcomer] = relationship()
    created_by: Mapped[User | None] = relationship()
