"""Running the matching for one agency and keeping its proposals.

A run builds the problem from the database, lets the engine solve it, and stores a
`MatchRun` and its proposals in one transaction. Re-running replaces the open proposals
of earlier runs; approved, active and paused Patenschaften are passed to the engine as
pinned, so a run never undoes a human decision.
"""

from dataclasses import dataclass
from datetime import date
from time import perf_counter
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from matcher.engine import ProblemError, solve
from matcher.extensions import db
from matcher.models import (
    Agency,
    Match,
    MatchEvent,
    MatchRun,
    Newcomer,
    User,
    Volunteer,
    utcnow,
)
from matcher.models.vocab import OPEN_MATCH_STATUSES
from matcher.services.matching import problem as match_problem
from matcher.services.matching.problem import newcomer_key, parse_key, volunteer_key
from matcher.services.platform import audit

#: How many alternative volunteers the review page offers per newcomer.
ALTERNATIVES = 10


class MatchingError(Exception):
    """The run could not be done; the message is for the coordinator."""


@dataclass(frozen=True)
class Alternative:
    """A feasible volunteer for a proposal's newcomer, with the pair's score."""

    volunteer: Volunteer
    score: float
    proposed_elsewhere: bool


def today() -> date:
    """The reference date of a run (the server's date)."""
    return utcnow().date()


def structured_reasons(pair: dict[str, Any]) -> list[Any]:
    """The reasons of an engine pair as stored: its structured codes with parameters, so
    the pages can say them in the coordinator's language (English text as a fallback)."""
    for key in ("reason_codes", "codes", "reasons"):
        value = pair.get(key)
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            return value
    return list(pair.get("reasons") or [])


def _unmatched(result: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for entry in result.get("unmatched_newcomers", []):
        item = {key: value for key, value in entry.items() if key != "newcomer"}
        item["newcomer"] = parse_key(entry["newcomer"])
        out.append(item)
    return out


def run(agency: Agency, actor: User | None, *, on: date | None = None) -> MatchRun:
    """Run the matching for an agency and store the run with its proposals.

    :raises MatchingError: when the engine rejects the data or another change collided.
    """
    started = perf_counter()
    on = on or today()
    built = match_problem.build(agency, on)
    try:
        result = solve(built.document, with_codes=True)
    except ProblemError as e:
        db.session.rollback()
        _record_failure(agency, actor, on, str(e))
        raise MatchingError(str(e)) from None

    try:
        matching_run = _store(agency, actor, on, built, result, started)
        db.session.commit()
    except IntegrityError:
        # Someone approved or ran at the same moment; the database's unique index caught it.
        db.session.rollback()
        raise MatchingError("conflict") from None
    return matching_run


def _store(
    agency: Agency,
    actor: User | None,
    on: date,
    built: match_problem.BuiltProblem,
    result: dict[str, Any],
    started: float,
) -> MatchRun:
    # Serialise runs of one agency (PostgreSQL; SQLite has one writer anyway).
    db.session.execute(select(Agency.id).where(Agency.id == agency.id).with_for_update())
    db.session.execute(
        delete(Match)
        .where(Match.agency_id == agency.id, Match.status == "proposed")
        .execution_options(synchronize_session=False)
    )
    # After the delete only decided matches are open: what was approved meanwhile stays.
    taken = set(
        db.session.scalars(
            select(Match.newcomer_id).where(
                Match.agency_id == agency.id, Match.status.in_(OPEN_MATCH_STATUSES)
            )
        )
    )
    used = match_problem.open_counts(agency.id)
    stats = result.get("stats", {})
    matching_run = MatchRun(
        agency_id=agency.id,
        started_by_id=actor.id if actor else None,
        status="finished",
        parameters={**built.document["settings"], "today": on.isoformat()},
        volunteers=len(built.document["volunteers"]),
        newcomers=len(built.document["newcomers"]),
        feasible_pairs=int(stats.get("feasible_pairs", 0)),
        unmatched=_unmatched(result),
    )
    db.session.add(matching_run)
    db.session.flush()

    now = utcnow()
    rows = []
    for pair in result["pairs"]:
        if pair.get("pinned"):
            continue
        v_id, n_id = parse_key(pair["volunteer"]), parse_key(pair["newcomer"])
        volunteer = built.volunteers[v_id]
        if n_id in taken or used.get(v_id, 0) >= volunteer.capacity:
            continue
        used[v_id] = used.get(v_id, 0) + 1
        rows.append(
            {
                "agency_id": agency.id,
                "volunteer_id": v_id,
                "newcomer_id": n_id,
                "run_id": matching_run.id,
                "status": "proposed",
                "score": float(pair["score"]),
                "components": dict(pair.get("components", {})),
                "reasons": structured_reasons(pair),
                "proposed_at": now,
                "version": 1,
            }
        )
    if rows:
        ids = db.session.scalars(
            insert(Match).returning(Match.id, sort_by_parameter_order=True), rows
        ).all()
        db.session.execute(
            insert(MatchEvent),
            [
                {
                    "match_id": match_id,
                    "from_status": None,
                    "to_status": "proposed",
                    "at": now,
                    "actor_id": actor.id if actor else None,
                    "note": "",
                }
                for match_id in ids
            ],
        )
    matching_run.pairs = len(rows)
    matching_run.seconds = round(perf_counter() - started, 3)
    audit.record(
        "match.run",
        object_type="match_run",
        object_id=matching_run.id,
        agency_id=agency.id,
        actor=actor,
    )
    return matching_run


def _record_failure(agency: Agency, actor: User | None, on: date, error: str) -> None:
    failed = MatchRun(
        agency_id=agency.id,
        started_by_id=actor.id if actor else None,
        status="failed",
        parameters={"today": on.isoformat(), "error": error[:2000]},
    )
    db.session.add(failed)
    db.session.flush()
    audit.record(
        "match.run_failed", object_type="match_run", object_id=failed.id, agency_id=agency.id,
        actor=actor,
    )  # fmt: skip
    db.session.commit()


def alternatives(match: Match, agency: Agency) -> list[Alternative]:
    """Feasible volunteers with free capacity for a proposal's newcomer, best first."""
    built = match_problem.build(
        agency, today(), newcomer_ids=[match.newcomer_id], with_pinned=False
    )
    if match.newcomer_id not in built.newcomers:
        return []
    try:
        result = solve(built.document, candidates=ALTERNATIVES + 1, with_codes=True)
    except ProblemError:
        return []
    proposed = set(
        db.session.scalars(
            select(Match.volunteer_id).where(
                Match.agency_id == agency.id,
                Match.status == "proposed",
                Match.newcomer_id != match.newcomer_id,
            )
        )
    )
    out = []
    for candidate in result.get("candidates", {}).get(newcomer_key(match.newcomer_id), []):
        v_id = parse_key(candidate["volunteer"])
        if v_id == match.volunteer_id or v_id not in built.volunteers:
            continue
        out.append(Alternative(built.volunteers[v_id], float(candidate["score"]), v_id in proposed))
    return out[:ALTERNATIVES]


def check_pair(
    agency: Agency, volunteer: Volunteer, newcomer_id: int, on: date | None = None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Solve the pair alone: (the engine's pair, None) if it meets every hard rule now,
    else (None, the engine's unmatched entry)."""
    newcomer = db.get_or_404(Newcomer, newcomer_id)
    forbidden = match_problem.is_forbidden(volunteer.id, newcomer.id)
    document = match_problem.pair_document(
        agency, volunteer, newcomer, on or today(), forbidden=forbidden
    )
    try:
        result = solve(document, with_codes=True)
    except ProblemError as e:
        return None, {"reason": "invalid", "detail": str(e)}
    for pair in result["pairs"]:
        if pair["volunteer"] == volunteer_key(volunteer.id):
            return pair, None
    unmatched = result.get("unmatched_newcomers") or [{"reason": "no_feasible_volunteer"}]
    return None, unmatched[0]
