"""The matching engine: proposes volunteer–newcomer pairs, exactly and explained.

It imports only numpy and scipy (no Flask, no SQLAlchemy) and works on plain
data, so the web app, scripts and the command line all call the same code::

    from matcher.engine import ProblemError, solve

    try:
        result = solve(problem_dict, candidates=5, with_codes=True)
    except ProblemError as error:
        show(error.errors)  # one line per problem, naming its place

``solve(problem, candidates=None, *, with_codes=False) -> ResultDocument``
takes a ``matcher.problem/1`` document (see ``shared/spec/engine.md``) and
returns a ``matcher.result/1`` document. Both are spelt out as typed
dictionaries in ``documents.py`` (``ProblemDocument``, ``ResultDocument`` and
their parts, all exported here); a caller that passes a plain
``dict[str, Any]`` gets the same value typed as a plain dict. The result holds:

- ``pairs``: ``{"volunteer", "newcomer", "score", "pinned", "components",
  "reasons"}``, sorted by newcomer id; ``reasons`` are English strings.
  With ``with_codes=True`` each pair also has ``reason_codes``: a list of
  ``{"code", "params", "text"}`` dicts in the same order as ``reasons``, e.g.
  ``{"code": "shared_language", "params": {"language": "ar", "levels":
  ["native", "fluent"]}, "text": "shares Arabic (native / fluent)"}``.
  Codes: ``shared_language``, ``no_shared_language``, ``distance_km`` (km),
  ``distance_unknown``, ``beyond_distance_limit`` (max_distance_km),
  ``shared_slots`` (count, slots), ``topics_covered`` (covered, needed),
  ``waiting`` (days), ``mentor_gender`` / ``mentor_gender_mismatch``
  (gender), ``police_certificate`` / ``no_police_certificate``,
  ``forbidden_pair``, ``below_min_score`` (min_score), ``over_capacity``
  (capacity), ``pinned``. Levels are listed newcomer first.
- ``unmatched_newcomers``: ``{"newcomer", "reason", "detail"}`` with reason
  ``no_feasible_volunteer`` or ``volunteers_taken``; with ``with_codes`` also
  ``detail_code``: ``{"code", "params", "text"}`` where code names the
  blocking constraint (``language``, ``distance``, ``slots``, ``gender``,
  ``certificate``, ``forbidden``, ``score``, ``no_volunteers``) or is
  ``volunteers_taken``; params give ``candidates`` (how many volunteers were
  left before it) and the constraint's setting. For ``volunteers_taken``,
  ``candidates`` is the number of feasible volunteers, and the params say
  where they went: ``paused`` (capacity 0), ``full`` (every place held by
  pinned pairs), ``taken`` (free places, all proposed to others), ``others``
  (the newcomers proposed to those), ``fewer_options`` (how many of the others
  have fewer options, i.e. feasible volunteers with a free place, than this
  newcomer's ``taken``), ``min_options`` (the fewest among them, null when
  none), ``waited_longer`` (others with an earlier ``waiting_since``, counted
  in days up to ``today``) and ``higher_score`` (others who score higher with
  their volunteer than this newcomer would; the rest score the same); see
  ``TakenParams``.
- ``unmatched_volunteers``: ``{"volunteer", "free_capacity"}`` for every
  volunteer left without a newcomer (paused ones, capacity 0, are not listed).
- ``candidates`` (only when asked): newcomer id -> ``[{"volunteer", "score"}]``.
- ``stats``: volunteers, newcomers, feasible_pairs, pairs, total_score, seconds.

``solve(..., progress=callback)`` reports how far the solver is: ``callback(stage,
count)`` with ``("feasible", pairs)``, then ``("round", k)`` as each round of the exact
assignment starts (1 for a problem solved whole; each certification that finds better
left-out pairs adds a round), then ``("explain", chosen)``. It runs in the solver's
thread; an exception it raises aborts the solve. The result is the same with or without.

``candidates`` is a whole number or ``"all"``. Components, each in [0, 1] and
monotone: ``language`` the best shared level (the lower of both sides:
basic 1/3, good 2/3, fluent or native 1); ``distance`` 1 - km / limit (no
limit: 15 / (15 + km); unknown location: 0); ``availability`` shared slots / 3,
capped at 1; ``topics`` needed topics covered / needed (nothing needed: 1);
``waiting`` days waited / 365, capped at 1. Components are rounded to 6
decimals; the score is their weighted mean rounded to a multiple of 1e-6, and
the solver maximises exactly those numbers.

``funnel(problem) -> FunnelDocument`` validates a problem like ``solve`` and
counts, for a settings preview, the pairs each hard constraint leaves: over
the volunteers with a free place after the pinned pairs and the newcomers not
pinned, ``{"format": "matcher.funnel/1", "volunteers", "newcomers",
"all_pairs", "stages": {"language", "distance", "slots", "gender",
"certificate", "forbidden", "score"}, "feasible_pairs"}``; each stage counts
the pairs left after it and those before it, so ``feasible_pairs`` (= the
``score`` stage) equals the result's ``stats.feasible_pairs`` when nobody is
pinned or paused.

Optional inputs (issue 13), none of which changes anything where absent:
``settings.min_language_level`` (a shared language where both have at least that level),
``settings.tandem_gender`` ("same": equal genders where both are known; "women_only"),
``settings.weights.family`` (default 0; above 0 adds the ``family`` component, the share of
a household's children's age bands the volunteer likes to meet); a newcomer's ``gender``,
``household_size``, ``child_age_bands``, ``max_distance_km`` (the pair's limit is the
smaller of it and the settings') and ``interests``; a volunteer's ``families_welcome``
(false: no household of more than one), ``max_household``, ``child_age_bands`` and
``interests`` (shared interests count with the topics). ``funnel(problem, walk=True)``
adds ``walk``: every stage of ``explain.ALL_STAGES`` with its pairs and the newcomers who
still have a volunteer.

The command line ``python -m matcher.engine solve PROBLEM.json [-o RESULT.json]
[--candidates K|all]`` runs the same code (see ``cli.py``).

Lower level: :func:`parse_problem` validates into a :class:`Problem`;
:func:`solve_parsed` solves one and
:func:`funnel_parsed` counts its funnel.
"""

from __future__ import annotations

from .documents import (
    Candidate,
    Components,
    FunnelDocument,
    FunnelStages,
    Location,
    NewcomerEntry,
    Pair,
    PairRef,
    ProblemDocument,
    ProblemSettings,
    ReasonCode,
    ResultDocument,
    Stats,
    TakenParams,
    UnmatchedNewcomer,
    UnmatchedVolunteer,
    VolunteerEntry,
    Weights,
)
from .funnel import funnel, funnel_parsed
from .pipeline import ProgressCallback, solve, solve_parsed
from .problem import Problem, ProblemError
from .validation import parse_problem

__all__ = [
    "Candidate",
    "Components",
    "FunnelDocument",
    "FunnelStages",
    "Location",
    "NewcomerEntry",
    "Pair",
    "PairRef",
    "Problem",
    "ProblemDocument",
    "ProblemError",
    "ProblemSettings",
    "ProgressCallback",
    "ReasonCode",
    "ResultDocument",
    "Stats",
    "TakenParams",
    "UnmatchedNewcomer",
    "UnmatchedVolunteer",
    "VolunteerEntry",
    "Weights",
    "funnel",
    "funnel_parsed",
    "parse_problem",
    "solve",
    "solve_parsed",
]
