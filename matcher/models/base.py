"""The declarative base: one MetaData with a naming convention, so migrations get stable names."""

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: The table option of every table with an integer id. With it SQLite never hands out an id
#: twice (AUTOINCREMENT), so the audit trail, links and exports of a deleted row never point
#: at the next row; PostgreSQL's sequences never reuse an id anyway.
NEVER_REUSE_IDS: dict[str, Any] = {"sqlite_autoincrement": True}


#: An empty JSON list as stored (the server default of a JSON list column, and what its
#: CHECKs compare the column's text with).
NO_BANDS = "[]"
#: A JSON list column with a server default: JSONB on PostgreSQL, whose values compare with
#: `=` (plain json has no equality, which a server default's comparison needs).
JSON_LIST = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC: the one clock every service and page counts days with."""
    return utcnow().date()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back as timezone-aware UTC.

    SQLite keeps no offset, so storing naive UTC everywhere makes both backends agree.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware timestamp to naive UTC before storing it."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use matcher.models.base.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to a stored timestamp."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def check_in(column: str, values: Iterable[str]) -> str:
    """Return a CHECK expression that limits a column to the given values."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"
