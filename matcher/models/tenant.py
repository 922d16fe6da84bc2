"""Tenancy: every model that holds an agency's people or their matches carries `agency_id`."""

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class TenantScoped:
    """Mixin for rows owned by one agency; queries on them are scoped by `matcher.tenancy`."""

    @declared_attr
    def agency_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy passes the class
        return mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
