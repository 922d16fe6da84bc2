"""Figures for agencies and their funders: Patenschaften per month, waiting, unmet demand.

Funders count Patenschaften started, active on a reporting date and ended (by reason), and
the volunteers active. A running Patenschaft is one that was started (introduction done)
and not yet ended; paused ones still run. Counts below `SUPPRESS_BELOW` are shown as "<5"
in the funder report, so that no one can be singled out from it.

The functions return numbers and dates; the pages put them into words.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

from sqlalchemy import select

from matcher.domain import audit, disclosure
from matcher.domain.errors import Invalid
from matcher.domain.vocab import END_REASONS
from matcher.extensions import db
from matcher.labels import REPORT_FILE_LABELS
from matcher.models import (
    Agency,
    Match,
    Newcomer,
    User,
)
from matcher.services.lists import spreadsheet
from matcher.services.matching import problem

SUPPRESS_BELOW = disclosure.MIN_COUNT
#: The monthly chart shows at most this many months: the last ones of a longer period.
MAX_MONTHS = 36
WAIT_BUCKETS = ((30, "under_1"), (91, "1_3"), (182, "3_6"), (365, "6_12"), (None, "over_12"))


@dataclass(frozen=True)
class Month:
    """One month: Patenschaften started and ended in it, and running at its end."""

    first_day: date
    started: int
    ended: int
    active: int


@dataclass(frozen=True)
class Waiting:
    """How long newcomers wait: the waiting ones by bucket, and the time to a match."""

    buckets: list[tuple[str, int]]
    waiting: int
    median_days_waiting: float | None
    median_days_to_start: float | None


@dataclass(frozen=True)
class LanguageDemand:
    """Newcomers waiting who speak a language, and volunteers available who speak it."""

    code: str
    newcomers: int
    volunteers: int


@dataclass
class FunderReport:
    """The funder's figures for one period."""

    start: date
    end: date
    started: int = 0
    active_on_end: int = 0
    ended: int = 0
    ended_by_reason: dict[str, int] = field(default_factory=dict)
    volunteers_active: int = 0


@dataclass(frozen=True)
class _Run:
    volunteer_id: int
    newcomer_id: int
    started: datetime
    ended: datetime | None
    reason: str | None


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _after(day: date) -> datetime:
    """The first instant after a day (the last day there is has no day after it)."""
    if day >= date.max:
        return datetime.max.replace(tzinfo=UTC)
    return _instant(day + timedelta(days=1))


def _runs(agency: Agency) -> list[_Run]:
    rows = db.session.execute(
        select(
            Match.volunteer_id, Match.newcomer_id, Match.started_at, Match.ended_at,
            Match.end_reason,
        ).where(Match.agency_id == agency.id, Match.started_at.is_not(None))
    )  # fmt: skip
    return [_Run(v, n, started, ended, reason) for v, n, started, ended, reason in rows if started]


def _running_at(run: _Run, moment: datetime) -> bool:
    return run.started < moment and (run.ended is None or run.ended >= moment)


def first_of_month(day: date, months: int = 0) -> date:
    """The first day of the month `months` months after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def monthly(agency: Agency, start: date, end: date, today: date) -> list[Month]:
    """Patenschaften started, ended and running per month of the period, up to today.

    The first and last month count only their days inside the period; "running" is at the
    end of the month, of the period or of today, whichever comes first. A period of more
    than `MAX_MONTHS` months shows its last `MAX_MONTHS`.
    """
    last = min(end, today)
    if start > last:
        return []
    first = start.replace(day=1)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    if count > MAX_MONTHS:
        first, count = first_of_month(first, count - MAX_MONTHS), MAX_MONTHS
    runs = _runs(agency)
    period_lo, period_hi = _instant(start), _after(last)
    out = []
    for k in range(count):
        month_start = first_of_month(first, k)
        lo = max(_instant(month_start), period_lo)
        hi = min(_instant(first_of_month(month_start, 1)), period_hi)
        out.append(
            Month(
                first_day=month_start,
                started=sum(lo <= r.started < hi for r in runs),
                ended=sum(r.ended is not None and lo <= r.ended < hi for r in runs),
                active=sum(_running_at(r, hi) for r in runs),
            )
        )
    return out


def waiting(agency: Agency, today: date) -> Waiting:
    """The waiting newcomers by how long they wait, and the median time from waiting to start."""
    # The same newcomers the dashboard and a run count as waiting (matcher.domain.eligibility).
    days = [(today - n.waiting_since).days for n in problem.waiting_newcomers(agency)]
    counts: Counter[str] = Counter()
    for d in days:
        counts[next(name for bound, name in WAIT_BUCKETS if bound is None or d <= bound)] += 1
    year_ago = _instant(today - timedelta(days=365))
    to_start = [
        max(0, (started.date() - waited).days)
        for waited, started in db.session.execute(
            select(Newcomer.waiting_since, Match.started_at)
            .join(Match, Match.newcomer_id == Newcomer.id)
            .where(Match.agency_id == agency.id, Match.started_at >= year_ago)
        )
        if started is not None
    ]
    return Waiting(
        buckets=[(name, counts[name]) for _bound, name in WAIT_BUCKETS],
        waiting=len(days),
        median_days_waiting=median(days) if days else None,
        median_days_to_start=median(to_start) if to_start else None,
    )


def unmet_demand(agency: Agency, limit: int = 12) -> list[LanguageDemand]:
    """Languages of waiting newcomers, most asked first, against volunteers available.

    Waiting and available are the domain's rules, asked through the same functions the
    problem builder, the dashboard and the shortage page use, so their counts agree.
    """
    wanted = Counter(lang.code for n in problem.waiting_newcomers(agency) for lang in n.languages)
    offered = Counter(
        lang.code for v in problem.available_volunteers(agency) for lang in v.languages
    )
    # German is everybody's second language here; the shortage is in the others.
    rows = [
        LanguageDemand(code, int(n), int(offered.get(code, 0)))
        for code, n in wanted.items()
        if code != "de"
    ]
    rows.sort(key=lambda r: (-(r.newcomers - r.volunteers), -r.newcomers, r.code))
    return rows[:limit]


def funder_report(agency: Agency, start: date, end: date) -> FunderReport:
    """Started, active on the last day, ended by reason, and volunteers active in a period."""
    if start > end:
        raise Invalid("period_reversed")
    runs = _runs(agency)
    lo, hi = _instant(start), _after(end)
    report = FunderReport(start=start, end=end)
    report.started = sum(lo <= r.started < hi for r in runs)
    report.active_on_end = sum(_running_at(r, hi) for r in runs)
    ended = [r for r in runs if r.ended is not None and lo <= r.ended < hi]
    report.ended = len(ended)
    reasons = Counter(r.reason or "other" for r in ended)
    report.ended_by_reason = {reason: reasons[reason] for reason in END_REASONS}
    report.volunteers_active = len(
        {r.volunteer_id for r in runs if r.started < hi and (r.ended is None or r.ended >= lo)}
    )
    return report


def shown(count: int) -> str:
    """A count as the funder report shows it: below 5 as "<5"."""
    return f"<{SUPPRESS_BELOW}" if count < SUPPRESS_BELOW else str(count)


def funder_report_xlsx(
    agency: Agency,
    period: str,
    lines: Sequence[tuple[str, int]],
    actor: User | None,
    more: Sequence[spreadsheet.Sheet] = (),
) -> bytes:
    """The funder report's (label, count) lines as an XLSX file; the export is audited.

    Counts are numbers, so that they can be summed; a suppressed one stays the text "<5".
    `period` is the report's period as the page shows it; `more` are further sheets after
    the report's own (the coordinator's report adds the demographics).
    """
    labels = REPORT_FILE_LABELS
    rows: list[list[spreadsheet.Cell]] = [
        [str(labels["agency"]), agency.name],
        [str(labels["period"]), period],
    ]
    rows += [[label, count if count >= SUPPRESS_BELOW else shown(count)] for label, count in lines]
    headers = [str(labels["figure"]), str(labels["count"])]
    data = spreadsheet.write_xlsx([(str(labels["title"]), headers, rows), *more])
    audit.about("export.funder_report", agency, actor)
    return data
