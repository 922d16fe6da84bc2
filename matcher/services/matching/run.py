"""Running the matching for one agency and keeping its proposals.

A run (queued by `matcher.services.matching.runs.start`, taken by a worker) builds the
problem from the database, lets the engine solve it, and stores its proposals. Re-running
replaces the open proposals of earlier runs, except those a coordinator picked by hand;
approved, active and paused Patenschaften and the picked proposals go to the engine as
pinned, so a run never undoes a human decision. A run the engine refuses is kept as
failed, with the reason (the worker records it: `matcher.jobs_tasks.perform_run`).
"""

from dataclasses import dataclass
from datetime import date
from time import perf_counter
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from matcher.domain import audit
from matcher.domain.background import WorkFailed
from matcher.domain.errors import Refused
from matcher.domain.runs import RUN
from matcher.domain.vocab import OPEN_MATCH_STATUSES
from matcher.engine import Pair, ProblemError, ResultDocument, solve
from matcher.extensions import db
from matcher.models import Agency, Match, MatchEvent, MatchRun, Newcomer, User, Volunteer, utcnow
from matcher.services.matching import problem
from matcher.services.matching.problem import newcomer_key, parse_key, volunteer_key
from matcher.services.matching.runs import Progress

#: How many alternative volunteers the review page offers per newcomer.
ALTERNATIVES = 10


@dataclass(frozen=True)
class Alternative:
    """A feasible volunteer for a proposal's newcomer, with the pair's score."""

    volunteer: Volunteer
    score: float
    proposed_elsewhere: bool


def _unmatched(result: ResultDocument) -> list[dict[str, Any]]:
    """The engine's unmatched newcomers as a run keeps them: by database id."""
    return [
        {**entry, "newcomer": parse_key(entry["newcomer"])}
        for entry in result["unmatched_newcomers"]
    ]


def execute(
    matching_run: MatchRun,
    agency: Agency,
    actor: User | None,
    progress: Progress,
    *,
    on: date,
) -> None:
    """Build, solve and store a run that a worker has taken (status "building"); flushes.

    Each step is reported through `progress` as it starts (solving with the solver's
    round); the proposals and the run's last step, "finished", are written in the
    caller's transaction, so they commit together.

    :raises WorkFailed: the engine refused the problem ("invalid_problem"), or an approval
        at the same moment took one of the run's newcomers ("changed_meanwhile").
    :raises WorkGone: the run was failed meanwhile (its worker was declared lost).
    """
    started = perf_counter()
    built = problem.build(agency, on)
    progress.advance("solve")
    try:
        result = solve(built.document, with_codes=True, progress=progress.solver)
    except ProblemError as e:
        raise WorkFailed("invalid_problem", str(e)) from None
    progress.advance("store")
    try:
        _store(matching_run.id, agency, actor, on, built, result, started)
    except IntegrityError:
        # Someone approved at the same moment; the database's unique index caught it.
        raise WorkFailed("changed_meanwhile") from None


def _store(
    run_id: int,
    agency: Agency,
    actor: User | None,
    on: date,
    built: problem.BuiltProblem,
    result: ResultDocument,
    started: float,
) -> None:
    # Serialise runs of one agency (PostgreSQL; SQLite has one writer anyway).
    db.session.execute(select(Agency.id).where(Agency.id == agency.id).with_for_update())
    db.session.execute(
        delete(Match)
        .where(
            Match.agency_id == agency.id,
            Match.status == "proposed",
            Match.picked_by_id.is_(None),
        )
        .execution_options(synchronize_session="fetch")
    )
    # After the delete only decided and picked matches are open: what was approved
    # meanwhile stays, and its newcomer gets nothing new.
    taken = set(
        db.session.scalars(
            select(Match.newcomer_id).where(
                Match.agency_id == agency.id, Match.status.in_(OPEN_MATCH_STATUSES)
            )
        )
    )
    used = problem.places_taken(agency)
    now = utcnow()
    rows = []
    for pair in result["pairs"]:
        v_id, n_id = parse_key(pair["volunteer"]), parse_key(pair["newcomer"])
        # A pinned pair is an open match already, except a coordinator's pin whose
        # proposal went: it is proposed again, as their choice (`pair_rules.pin`).
        rule_pin = pair.get("pinned") and (v_id, n_id) in built.rule_pinned
        if pair.get("pinned") and not rule_pin:
            continue
        volunteer = built.volunteers[v_id]
        if n_id in taken or used.get(v_id, 0) >= volunteer.capacity:
            continue
        used[v_id] = used.get(v_id, 0) + 1
        rows.append(
            {
                "agency_id": agency.id,
                "volunteer_id": v_id,
                "newcomer_id": n_id,
                "run_id": run_id,
                "status": "proposed",
                "score": float(pair["score"]),
                "components": dict(pair.get("components", {})),
                "reasons": list(pair.get("reason_codes", [])),
                "proposed_at": now,
                "version": 1,
                "picked_by_id": built.rule_pinned.get((v_id, n_id)) if rule_pin else None,
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
    stats = result["stats"]
    # The run's last step, in the transaction of its proposals: both commit, or neither.
    RUN.advance(
        db.session,
        run_id,
        "finish",
        values={
            "parameters": {**problem.settings(agency), "today": on.isoformat()},
            "volunteers": built.free_volunteers,
            "newcomers": built.open_newcomers,
            "feasible_pairs": int(stats["feasible_pairs"]),
            "unmatched": _unmatched(result),
            "pairs": len(rows),
            "seconds": round(perf_counter() - started, 3),
        },
    )
    audit.record(
        db.session,
        "match.run",
        actor=actor,
        object_type="match_run",
        object_id=run_id,
        agency_id=agency.id,
    )
    db.session.flush()


def alternatives(match: Match, agency: Agency, actor: User | None, on: date) -> list[Alternative]:
    """Feasible volunteers with free places for a proposal's newcomer, best first (audited)."""
    audit.about("match.alternatives_view", match, actor)
    built = problem.build(agency, on, newcomer_ids=[match.newcomer_id], with_pinned=False)
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


def check_pair(agency: Agency, volunteer: Volunteer, newcomer: Newcomer, on: date) -> Pair:
    """Solve the pair alone and return the engine's pair if it meets every hard rule now.

    :raises Refused: "infeasible", with the engine's unmatched entry saying why.
    """
    document = problem.pair_document(agency, volunteer, newcomer, on)
    try:
        result = solve(document, with_codes=True)
    except ProblemError as e:
        raise Refused("infeasible", unmatched={"reason": "invalid", "detail": str(e)}) from None
    for pair in result["pairs"]:
        if pair["volunteer"] == volunteer_key(volunteer.id):
            return pair
    # A pair alone either is feasible or leaves its newcomer unmatched, with the reason.
    (unmatched,) = result["unmatched_newcomers"]
    raise Refused("infeasible", unmatched=unmatched)
