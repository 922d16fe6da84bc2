"""Who the agency's volunteers and newcomers are, as funders ask: age band, gender,
languages, districts (postcode areas) and new against earlier registrations.

Counted in SQL, one GROUP BY per figure, on the agency's people on the period's last day:

- volunteers: confirmed, not erased, not inactive (applied, active or paused), registered
  by the end of the period;
- newcomers: not erased, not closed, registered by the end of the period.

"New" means registered during the period, "earlier" before its start. Newcomers' gender is
not recorded, so that figure is the volunteers' only. Small counts are hidden by the one
rule of `matcher.domain.disclosure` (each column with its total on its own; languages have
no total, since a person speaks several).
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, select

from matcher.domain import disclosure
from matcher.domain.errors import Invalid
from matcher.domain.vocab import AGE_BANDS, GENDERS
from matcher.extensions import db
from matcher.models import Agency, Newcomer, NewcomerLanguage, Volunteer, VolunteerLanguage

#: The figures, in the order the page and the file show them.
DIMENSIONS = ("age_band", "gender", "languages", "districts", "registered")
#: The key of people whose gender or age band is not stated.
NOT_STATED = ""
#: Keys of the "registered" figure.
REGISTERED = ("new", "earlier")


@dataclass(frozen=True)
class Row:
    """One group (an age band, a language code, a postcode area…): counts or None (hidden).

    A newcomers' count of None with `Section.newcomers_recorded` false means "not recorded".
    """

    key: str
    volunteers: int | None
    newcomers: int | None


@dataclass(frozen=True)
class Section:
    """One figure: its rows and, where the rows add up to everybody, the totals."""

    dimension: str
    rows: list[Row]
    with_total: bool
    volunteers_total: int | None
    newcomers_total: int | None
    newcomers_recorded: bool = True


@dataclass(frozen=True)
class Demographics:
    """Every figure of one agency for one period."""

    start: date
    end: date
    sections: list[Section]


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _people(model: Any, agency: Agency, end: date) -> list[ColumnElement[bool]]:
    """The WHERE clause of the people counted (see the module's docstring)."""
    where = [model.agency_id == agency.id, model.anonymised_at.is_(None)]
    if end < date.max:
        where.append(model.created_at < _instant(end + timedelta(days=1)))
    if model is Volunteer:
        where += [Volunteer.email_confirmed_at.is_not(None), Volunteer.status != "inactive"]
    else:
        where.append(Newcomer.status != "closed")
    return where


def _grouped(key: Any, where: Sequence[ColumnElement[bool]], counted: Any) -> Counter[str]:
    rows = db.session.execute(
        select(key, func.count(distinct(counted))).where(*where).group_by(key)
    )
    counts: Counter[str] = Counter()
    for value, count in rows:
        counts[value or NOT_STATED] += int(count)
    return counts


def _raw(model: Any, agency: Agency, start: date, end: date) -> dict[str, Counter[str]]:
    where = _people(model, agency, end)
    language: Any = VolunteerLanguage if model is Volunteer else NewcomerLanguage
    owner = VolunteerLanguage.volunteer_id if model is Volunteer else NewcomerLanguage.newcomer_id
    out = {
        "age_band": _grouped(model.age_band, where, model.id),
        "districts": _grouped(func.substr(model.postcode, 1, 3), where, model.id),
        "registered": _grouped(
            case((model.created_at >= _instant(start), "new"), else_="earlier"), where, model.id
        ),
        "languages": Counter(
            {
                code: int(count)
                for code, count in db.session.execute(
                    select(language.code, func.count(distinct(model.id)))
                    .join(model, model.id == owner)
                    .where(*where)
                    .group_by(language.code)
                )
            }
        ),
    }
    if model is Volunteer:
        out["gender"] = _grouped(Volunteer.gender, where, Volunteer.id)
    return out


def _keys(dimension: str, volunteers: Counter[str], newcomers: Counter[str]) -> list[str]:
    fixed = {"age_band": AGE_BANDS, "gender": GENDERS, "registered": REGISTERED}.get(dimension)
    if fixed is not None:
        extra = sorted((set(volunteers) | set(newcomers)) - set(fixed))
        return list(fixed) + extra
    present = set(volunteers) | set(newcomers)
    if dimension == "languages":
        # The most spoken first, as funders read such a list.
        return sorted(present, key=lambda k: (-(volunteers[k] + newcomers[k]), k))
    return sorted(present)


def demographics(agency: Agency, start: date, end: date) -> Demographics:
    """The figures of `agency`'s people, small counts hidden."""
    if start > end:
        raise Invalid("period_reversed")
    volunteers = _raw(Volunteer, agency, start, end)
    newcomers = _raw(Newcomer, agency, start, end)
    sections = []
    for dimension in DIMENSIONS:
        v, n = volunteers.get(dimension, Counter()), newcomers.get(dimension)
        recorded = n is not None
        keys = _keys(dimension, v, n or Counter())
        with_total = dimension != "languages"
        v_col = disclosure.suppress([v[k] for k in keys], with_total)
        n_col = disclosure.suppress([(n or Counter())[k] for k in keys], with_total)
        rows = [
            Row(k, v_col.cells[i], n_col.cells[i] if recorded else None) for i, k in enumerate(keys)
        ]
        sections.append(
            Section(
                dimension=dimension,
                rows=rows,
                with_total=with_total,
                volunteers_total=v_col.total,
                newcomers_total=n_col.total if recorded else None,
                newcomers_recorded=recorded,
            )
        )
    return Demographics(start, end, sections)
