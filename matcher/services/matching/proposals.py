"""The proposals table: open proposals filtered, sorted and paged in SQL, one page at a time.

With 2,000 open proposals a coordinator reviews a page of 50: the filters, the order and
the counts are the database's work, and a page loads its people and their languages in
a fixed number of statements (the two people joined in, the languages of the page's
people in one statement each), however many rows the page shows.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select, true
from sqlalchemy.orm import contains_eager

from matcher.extensions import db
from matcher.models import Match, Newcomer, NewcomerLanguage, Volunteer, VolunteerLanguage
from matcher.models.search import fold
from matcher.services.matching import views

PER_PAGE = 50

#: The columns a coordinator may sort by, each ascending in the value the table shows.
SORT_KEYS = ("newcomer", "volunteer", "area", "distance", "score", "waiting", "proposed")
DEFAULT_SORT = ("waiting", "desc")  # the longest-waiting newcomer first, as before


@dataclass(frozen=True)
class Filters:
    """What the coordinator narrowed the table to, and its order (all optional)."""

    q: str = ""
    language: str = ""
    area: str = ""
    min_score: int | None = None  # 0..100, as the table shows the score
    min_waiting_days: int | None = None
    certificate: str = ""  # "" (all), "yes" (needs one), "no"
    sort: str = DEFAULT_SORT[0]
    direction: str = DEFAULT_SORT[1]


@dataclass(frozen=True)
class Row:
    """One proposal as a line of the table, with its full card data for the details."""

    match: Match
    pair: views.Pair
    area: str
    waiting_days: int
    needs_certificate: bool
    picked: bool

    @property
    def score_percent(self) -> int | None:
        """The score out of 100 as the card shows it."""
        return None if self.match.score is None else round(self.match.score * 100)


@dataclass(frozen=True)
class Table:
    """A page of rows, how many proposals the filters leave, and how many are open
    (`page` pages the ids; `rows` are the loaded proposals)."""

    page: Pagination
    rows: list[Row]
    total_open: int


def _search(q: str) -> ColumnElement[bool]:
    """Every word of the query in the volunteer's or the newcomer's name (either one)."""
    words = fold(q).split()
    return and_(
        true(),
        *(
            or_(
                Volunteer.search_key.contains(word, autoescape=True),
                Newcomer.search_key.contains(word, autoescape=True),
            )
            for word in words
        ),
    )


def _shared_language(code: str) -> ColumnElement[bool]:
    """Both people speak this language."""
    return and_(
        exists().where(
            VolunteerLanguage.volunteer_id == Volunteer.id, VolunteerLanguage.code == code
        ),
        exists().where(NewcomerLanguage.newcomer_id == Newcomer.id, NewcomerLanguage.code == code),
    )


def _order(sort: str, direction: str) -> list[Any]:
    # The distance itself is not stored; its score component falls as the distance grows
    # (the engine's own formula), so "nearest first" is the component's descending order.
    distance = Match.components["distance"].as_float()
    ascending: dict[str, tuple[Any, bool]] = {
        "newcomer": (Newcomer.search_key, False),
        "volunteer": (Volunteer.search_key, False),
        "area": (Newcomer.postcode, False),
        "distance": (distance, True),
        "score": (Match.score, False),
        "waiting": (Newcomer.waiting_since, True),  # more days = an earlier date
        "proposed": (Match.proposed_at, False),
    }
    column, inverted = ascending[sort]
    descending = (direction == "desc") != inverted
    key = column.desc() if descending else column.asc()
    # NULLs (no score, unknown distance) last either way, on SQLite and PostgreSQL alike.
    return [key.nulls_last(), Match.id]


def statement(filters: Filters, on: date) -> Any:
    """The ids of the open proposals the filters leave, in the asked order.

    Only the id is selected: the database sorts narrow rows (the id and the sort key), not
    the full rows of three tables, and the page's 50 rows are loaded by id afterwards —
    with 2,000 proposals on SQLite, sorting full rows alone took 150 ms.
    """
    stmt = (
        select(Match.id)
        .join(Match.volunteer)
        .join(Match.newcomer)
        .where(Match.status == "proposed")
    )
    if filters.q.strip():
        stmt = stmt.where(_search(filters.q))
    if filters.language:
        stmt = stmt.where(_shared_language(filters.language))
    if filters.area:
        stmt = stmt.where(Newcomer.postcode.startswith(filters.area, autoescape=True))
    if filters.min_score is not None:
        # The table rounds the score to a whole number: "at least 70" keeps what shows 70.
        stmt = stmt.where(Match.score >= (filters.min_score - 0.5) / 100)
    if filters.min_waiting_days is not None:
        stmt = stmt.where(Newcomer.waiting_since <= on - timedelta(days=filters.min_waiting_days))
    if filters.certificate == "yes":
        stmt = stmt.where(Newcomer.needs_certificate)
    elif filters.certificate == "no":
        stmt = stmt.where(not_(Newcomer.needs_certificate))
    return stmt.order_by(*_order(filters.sort, filters.direction))


def load(match_ids: list[int]) -> list[Match]:
    """The proposals with these ids, in this order, with both people and their languages
    (four statements however many)."""
    if not match_ids:
        return []
    found = {
        m.id: m
        for m in db.session.scalars(
            select(Match)
            .join(Match.volunteer)
            .join(Match.newcomer)
            .where(Match.id.in_(match_ids))
            .options(
                contains_eager(Match.volunteer).selectinload(Volunteer.languages),
                contains_eager(Match.newcomer).selectinload(Newcomer.languages),
            )
        ).unique()
    }
    return [found[i] for i in match_ids if i in found]


def count_open() -> int:
    """How many proposals are open in the agency in scope."""
    return int(
        db.session.scalar(select(func.count(Match.id)).where(Match.status == "proposed")) or 0
    )


def table(filters: Filters, page: int, on: date, per_page: int | None = None) -> Table:
    """One page of the proposals table (`PER_PAGE` rows unless asked otherwise).

    A page past the last one shows the last page (the caller may say so).
    """
    per_page = per_page or PER_PAGE
    pages = db.paginate(statement(filters, on), page=page, per_page=per_page, error_out=False)
    if not pages.items and page > 1 and pages.total:
        last = (pages.total + per_page - 1) // per_page
        pages = db.paginate(statement(filters, on), page=last, per_page=per_page, error_out=False)
    rows = [row(m, on) for m in load(list(pages.items))]
    return Table(page=pages, rows=rows, total_open=count_open())


def row(match: Match, on: date) -> Row:
    """A proposal as a table row (its people and languages must be loaded)."""
    newcomer = match.newcomer
    return Row(
        match=match,
        pair=views.pair(match.volunteer, newcomer),
        area=views.area(newcomer.postcode or ""),
        waiting_days=(on - newcomer.waiting_since).days,
        needs_certificate=bool(newcomer.needs_certificate),
        picked=match.picked_by_id is not None,
    )
