"""Tenancy: every model that holds an agency's people or their matches carries `agency_id`."""

from typing import ClassVar

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class TenantScoped:
    """Mixin for rows owned by one agency; queries on them are scoped by `matcher.tenancy`.

    A query in one agency's scope carries `agency_id = …`, so their indexes lead with it:
    with 200 agencies in one database an index of `status` alone finds every agency's rows.
    """

    #: False on a model whose composite indexes lead with `agency_id`: they serve lookups by
    #: agency alone (and the cascade from a deleted agency), so an index of `agency_id` by
    #: itself would only cost writes.
    agency_id_indexed: ClassVar[bool] = True

    @declared_attr
    def agency_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy passes the class
        return mapped_column(
            ForeignKey("agencies.id", ondelete="CASCADE"), index=cls.agency_id_indexed
        )
