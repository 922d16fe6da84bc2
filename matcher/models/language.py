"""Languages a person speaks, each with a level the database itself keeps valid."""

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from matcher.domain.vocab import LEVELS
from matcher.models.base import Base, check_in


class VolunteerLanguage(Base):
    """A language a volunteer speaks, with a level."""

    __tablename__ = "volunteer_languages"
    __table_args__ = (CheckConstraint(check_in("level", LEVELS), name="level_valid"),)

    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    level: Mapped[str] = mapped_column(String(8))


class NewcomerLanguage(Base):
    """A language a newcomer speaks, with a level."""

    __tablename__ = "newcomer_languages"
    __table_args__ = (CheckConstraint(check_in("level", LEVELS), name="level_valid"),)

    newcomer_id: Mapped[int] = mapped_column(
        ForeignKey("newcomers.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    level: Mapped[str] = mapped_column(String(8))
