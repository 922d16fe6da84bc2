"""The agency's area as a map: waiting newcomers and free volunteers per postcode area.

Counted in SQL by the domain's rules (`Newcomer.waits_for_match`, `Volunteer.available`,
the same the problem builder and the shortage page ask), grouped by postcode area (the
first three digits, as on the shortage page). Small counts are hidden by the one rule of
`matcher.domain.disclosure` (each layer a column with its total).

Each area stands at the mean of its postcodes' centroids (`matcher.engine.postcodes`, local
data, no network). The projection is equirectangular with the longitude scaled by the
cosine of the middle latitude: true enough for a district, and drawn into a viewBox of
`WIDTH` units, so the page scales it to any screen. No tiles, no third-party host.
"""

import math
from dataclasses import dataclass

from sqlalchemy import func, select

from matcher.domain import disclosure
from matcher.engine import postcodes
from matcher.extensions import db
from matcher.models import Agency, Newcomer, Volunteer

#: The drawing's width in viewBox units; the height follows the area's shape.
WIDTH = 360.0
#: Room around the symbols for their labels.
MARGIN = 36.0
#: Symbol radii: a half-disc's area grows with its count, from MIN_RADIUS to MAX_RADIUS.
MIN_RADIUS = 5.0
MAX_RADIUS = 22.0
#: The least span drawn (degrees of latitude), so that one area is not blown up to a page.
MIN_SPAN = 0.08


@dataclass(frozen=True)
class Area:
    """One postcode area: its counts (None: hidden) and, where known, its place and radii."""

    area: str
    waiting: int | None
    free: int | None
    x: float | None = None
    y: float | None = None
    r_waiting: float = MIN_RADIUS
    r_free: float = MIN_RADIUS

    @property
    def placed(self) -> bool:
        """The area's postcodes are known: it is on the map."""
        return self.x is not None and self.y is not None


@dataclass(frozen=True)
class AreaMap:
    """The areas with people, the totals (None: hidden) and the drawing's size."""

    areas: list[Area]
    waiting_total: int | None
    free_total: int | None
    width: float
    height: float

    @property
    def placed(self) -> list[Area]:
        """The areas drawn on the map."""
        return [a for a in self.areas if a.placed]

    @property
    def unplaced(self) -> list[Area]:
        """Areas whose postcodes are unknown: in the table only."""
        return [a for a in self.areas if not a.placed]


def _per_area(model: type[Newcomer] | type[Volunteer], agency: Agency) -> dict[str, int]:
    area = func.substr(model.postcode, 1, 3)
    rule = Newcomer.waits_for_match if model is Newcomer else Volunteer.available
    rows = db.session.execute(
        select(area, func.count(model.id)).where(model.agency_id == agency.id, rule).group_by(area)
    )
    return {str(key): int(count) for key, count in rows if key}


def _radius(count: int | None, largest: int) -> float:
    """A half-disc's radius: its area grows with the count; a hidden count is drawn as the
    smallest shown one would be, so that it tells nothing."""
    shown = disclosure.MIN_COUNT if count is None else count
    if shown <= 0 or largest <= 0:
        return MIN_RADIUS * 0.6
    return MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * math.sqrt(min(shown, largest) / largest)


def area_map(agency: Agency) -> AreaMap:
    """Waiting newcomers and free volunteers per postcode area, placed and hidden as needed."""
    waiting = _per_area(Newcomer, agency)
    free = _per_area(Volunteer, agency)
    keys = sorted(set(waiting) | set(free))
    w_col = disclosure.suppress([waiting.get(k, 0) for k in keys])
    f_col = disclosure.suppress([free.get(k, 0) for k in keys])
    places = {k: postcodes.area_centroid(k) if k.isdigit() else None for k in keys}
    known = [p for p in places.values() if p is not None]
    largest = max([c for c in w_col.cells + f_col.cells if c is not None] + [0])
    if not known:
        areas = [Area(k, w_col.cells[i], f_col.cells[i]) for i, k in enumerate(keys)]
        return AreaMap(areas, w_col.total, f_col.total, WIDTH, WIDTH / 2)
    lats, lons = [p[0] for p in known], [p[1] for p in known]
    mid_lat = (min(lats) + max(lats)) / 2
    squeeze = math.cos(math.radians(mid_lat))
    span_y = max(max(lats) - min(lats), MIN_SPAN)
    span_x = max((max(lons) - min(lons)) * squeeze, MIN_SPAN)
    inner = WIDTH - 2 * MARGIN
    scale = inner / max(span_x, span_y * 0.75)
    height = span_y * scale + 2 * MARGIN
    left = (min(lons) + max(lons)) / 2 * squeeze - inner / scale / 2
    top = (min(lats) + max(lats)) / 2 + (height - 2 * MARGIN) / scale / 2
    areas = []
    for i, k in enumerate(keys):
        w, f, place = w_col.cells[i], f_col.cells[i], places[k]
        if place is None:
            areas.append(Area(k, w, f))
            continue
        lat, lon = place
        areas.append(
            Area(
                k, w, f,
                x=round(MARGIN + (lon * squeeze - left) * scale, 1),
                y=round(MARGIN + (top - lat) * scale, 1),
                r_waiting=round(_radius(w, largest), 1),
                r_free=round(_radius(f, largest), 1),
            )
        )  # fmt: skip
    return AreaMap(areas, w_col.total, f_col.total, WIDTH, round(height, 1))
