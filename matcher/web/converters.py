"""URL converters: ids that the database can hold, so a huge number is a 404, not a 500."""

from typing import Any

from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` limited to 0…MAX_ID; anything larger does not match the route (404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
