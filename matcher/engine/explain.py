"""Reasons a coordinator can read: structured codes with parameters, plus English text.

The web app renders the codes in its own language; ``text`` is the English
rendering used by the command line and the result file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .competition import Competition
from .documents import ReasonCode, TakenParams
from .languages import join_names, language_name
from .problem import Person, Problem
from .scoring import best_levels, meets_min_score, pair_facts
from .tables import Tables
from .vocab import LEVELS, SLOTS, WOMAN, slot_label

Reason = ReasonCode

_LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS, start=1)}


def reason(code: str, text: str, **params: Any) -> Reason:
    """A reason as the library returns it: code, parameters and English text."""
    return {"code": code, "params": params, "text": text}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass(frozen=True)
class PairContext:
    """What the reasons of one pair are built from."""

    newcomer: Person
    volunteer: Person
    km: float
    pinned: bool
    forbidden: bool
    below_min_score: bool
    over_capacity: bool


def _best_language(newcomer: Person, volunteer: Person) -> tuple[str, str, str] | None:
    best: tuple[int, int, int] | None = None
    found: tuple[str, str, str] | None = None
    # Sorted by code, so the order of the input never decides a tie.
    for order, (code, n_level) in enumerate(sorted(newcomer.languages.items())):
        v_level = volunteer.languages.get(code)
        if v_level is None:
            continue
        low = min(_LEVEL_RANK[n_level], _LEVEL_RANK[v_level])
        high = max(_LEVEL_RANK[n_level], _LEVEL_RANK[v_level])
        rank = (low, high, -order)
        if best is None or rank > best:
            best, found = rank, (code, n_level, v_level)
    return found


#: Shared slots (in week order) and their text, by set of shared slots: few
#: distinct sets recur across many pairs.
_SLOT_TEXTS: dict[frozenset[str], tuple[tuple[str, ...], str]] = {}


def _shared_slots(shared: frozenset[str]) -> tuple[tuple[str, ...], str]:
    found = _SLOT_TEXTS.get(shared)
    if found is None:
        slots = tuple(slot for slot in SLOTS if slot in shared)
        if slots:
            text = f"{_plural(len(slots), 'shared slot')}: " + ", ".join(map(slot_label, slots))
        else:
            text = "no shared slot"
        if len(_SLOT_TEXTS) >= 100_000:
            _SLOT_TEXTS.clear()
        found = _SLOT_TEXTS[shared] = (slots, text)
    return found


def pair_reasons(problem: Problem, context: PairContext) -> list[Reason]:
    """The reasons for one proposed (or pinned) pair, most important first."""
    n, v = context.newcomer, context.volunteer
    settings = problem.settings
    reasons: list[Reason] = []
    shared = _best_language(n, v)
    if shared is None:
        reasons.append(reason("no_shared_language", "no shared language"))
    else:
        code, n_level, v_level = shared
        reasons.append(
            reason(
                "shared_language",
                f"shares {language_name(code)} ({n_level} / {v_level})",
                language=code,
                levels=[n_level, v_level],
            )
        )
    if math.isnan(context.km):
        reasons.append(reason("distance_unknown", "distance unknown (no location)"))
    else:
        km = round(context.km, 1)
        reasons.append(reason("distance_km", f"{km:.1f} km apart", km=km))
        limit = settings.max_distance_km
        if n.max_distance_km is not None:
            limit = n.max_distance_km if limit is None else min(limit, n.max_distance_km)
        if limit is not None and context.km > limit:
            reasons.append(
                reason(
                    "beyond_distance_limit",
                    f"beyond the {limit:g} km limit",
                    max_distance_km=limit,
                )
            )
    slots, text = _shared_slots(n.slots & v.slots)
    reasons.append(reason("shared_slots", text, count=len(slots), slots=list(slots)))
    if n.topics:
        covered = sorted(n.topics & v.topics)
        needed = len(n.topics)
        if covered:
            text = f"covers {len(covered)} of {_plural(needed, 'needed topic')}: " + ", ".join(
                covered
            )
        else:
            text = f"covers none of {_plural(needed, 'needed topic')}"
        reasons.append(reason("topics_covered", text, covered=covered, needed=sorted(n.topics)))
    if n.interests:
        reasons.append(_interests(n, v))
    if n.waiting_since is not None:
        days = max(0, (problem.today - n.waiting_since).days)
        reasons.append(reason("waiting", f"waiting {_plural(days, 'day')}", days=days))
    if n.mentor_gender is not None:
        if v.gender == n.mentor_gender:
            reasons.append(
                reason(
                    "mentor_gender",
                    f"{n.mentor_gender} mentor as wished",
                    gender=n.mentor_gender,
                )
            )
        else:
            reasons.append(
                reason(
                    "mentor_gender_mismatch",
                    f"a {n.mentor_gender} mentor was wished",
                    gender=n.mentor_gender,
                )
            )
    if n.minors:
        if v.police_certificate:
            reasons.append(
                reason("police_certificate", "police certificate for a household with children")
            )
        else:
            reasons.append(
                reason(
                    "no_police_certificate",
                    "no police certificate, household with children",
                )
            )
    reasons.extend(_must_rule_reasons(problem, n, v, shared))
    if context.forbidden:
        reasons.append(reason("forbidden_pair", "marked as never to be proposed"))
    if context.below_min_score:
        reasons.append(
            reason(
                "below_min_score",
                f"score below the minimum of {settings.min_score:g}",
                min_score=settings.min_score,
            )
        )
    if context.over_capacity:
        reasons.append(
            reason(
                "over_capacity",
                f"beyond the volunteer's capacity of {v.capacity}",
                capacity=v.capacity,
            )
        )
    if context.pinned:
        reasons.append(reason("pinned", "pinned by a coordinator"))
    return reasons


def _interests(n: Person, v: Person) -> Reason:
    shared = sorted(n.interests & v.interests)
    count = _plural(len(n.interests), "interest")
    if shared:
        text = f"shares {len(shared)} of {count}: " + ", ".join(shared)
    else:
        text = f"shares none of {count}"
    return reason("shared_interests", text, shared=shared, interests=sorted(n.interests))


def _must_rule_reasons(
    problem: Problem, n: Person, v: Person, shared: tuple[str, str, str] | None
) -> list[Reason]:
    """Reasons from the optional inputs (households, must-rules); none where they are absent."""
    settings = problem.settings
    reasons: list[Reason] = []
    if n.household_size > 1:
        size = n.household_size
        if (v.families_welcome is False) or (
            v.max_household is not None and size > v.max_household
        ):
            reasons.append(
                reason(
                    "household_too_large",
                    f"household of {size} people, more than the volunteer meets",
                    household_size=size,
                    max_household=1 if v.families_welcome is False else v.max_household,
                )
            )
        else:
            text = f"household of {size} people"
            if v.families_welcome:
                text += ", families welcome"
            reasons.append(
                reason(
                    "household",
                    text,
                    household_size=size,
                    families_welcome=bool(v.families_welcome),
                )
            )
    if settings.weights.get("family", 0.0) > 0 and n.child_age_bands:
        bands = sorted(n.child_age_bands)
        liked = sorted(n.child_age_bands & v.child_age_bands)
        if not v.child_age_bands:
            text = "no preference for children's ages"
        elif liked:
            text = "likes to meet children aged " + ", ".join(liked)
        else:
            text = "prefers children of other ages"
        reasons.append(reason("age_bands", text, shared=liked, bands=bands))
    level = settings.min_language_level
    # Without any shared language "no shared language" has said it already.
    if (
        level is not None
        and shared is not None
        and min(_LEVEL_RANK[shared[1]], _LEVEL_RANK[shared[2]]) < _LEVEL_RANK[level]
    ):
        reasons.append(
            reason(
                "below_min_language_level",
                f"no shared language at level {level} or better",
                min_language_level=level,
            )
        )
    tandem = settings.tandem_gender
    if tandem == "women_only" and not (n.gender == v.gender == WOMAN):
        reasons.append(
            reason("tandem_gender_mismatch", "not a women-only tandem", tandem_gender=tandem)
        )
    elif tandem == "same" and None not in (n.gender, v.gender) and n.gender != v.gender:
        reasons.append(
            reason("tandem_gender_mismatch", "not a same-gender tandem", tandem_gender=tandem)
        )
    return reasons


#: The hard constraints of ``shared/spec/engine.md`` in the order of the funnel document.
STAGES = ("language", "distance", "slots", "gender", "certificate", "forbidden", "score")
#: Every hard constraint, the optional must-rules included, in the fixed order the detail
#: of an unmatched newcomer walks: ``level`` (min_language_level), ``tandem``
#: (tandem_gender) and ``household`` (families_welcome, max_household) pass every pair
#: where their inputs are absent.
ALL_STAGES = (
    "language",
    "level",
    "distance",
    "slots",
    "gender",
    "tandem",
    "certificate",
    "household",
    "forbidden",
    "score",
)
_AT = {stage: k for k, stage in enumerate(ALL_STAGES)}


def stage_counts(
    problem: Problem,
    tables: Tables,
    newcomers: NDArray[np.int64],
    chunk: int = 2_000_000,
    volunteers: NDArray[np.int64] | None = None,
) -> NDArray[np.int64]:
    """Volunteers remaining after each hard constraint, applied in ``ALL_STAGES`` order.

    Each stage only looks at the pairs that survived the ones before, so the
    expensive ones (distance, score) see few pairs.

    :param volunteers: count only these volunteers (indices); None for all.
    :return: one row per newcomer, one column per stage of ``ALL_STAGES``.
    """
    n, v = tables.newcomers, tables.volunteers
    settings = problem.settings
    n_cols = len(v.slots)
    if volunteers is None:
        volunteers = np.arange(n_cols, dtype=np.int64)
    counts = np.zeros((len(newcomers), len(ALL_STAGES)), dtype=np.int64)
    forbidden = np.array(sorted(i * n_cols + j for i, j in problem.forbidden), dtype=np.int64)
    limited = settings.max_distance_km is not None or tables.own_limits
    min_level = _LEVEL_RANK.get(settings.min_language_level or "", 0)
    per = max(1, chunk // max(1, len(volunteers)))
    for lo in range(0, len(newcomers), per):
        block = newcomers[lo : lo + per]
        which = np.repeat(np.arange(len(block)), len(volunteers))
        rows = block[which]
        cols = np.tile(volunteers, len(block))
        shared = (n.language_bits[rows] & v.language_bits[cols]).any(axis=1)
        alive = np.flatnonzero(shared)
        for stage, name in enumerate(ALL_STAGES):
            r, c = rows[alive], cols[alive]
            if name == "level" and min_level:
                alive = alive[best_levels(tables, r, c) >= min_level]
            elif name == "distance" and limited:
                facts = pair_facts(tables, settings, r, c)
                alive = alive[~(facts.km > n.limit_km[r])]
            elif name == "slots":
                shared_slots = np.bitwise_count(n.slots[r] & v.slots[c])
                alive = alive[shared_slots >= settings.min_shared_slots]
            elif name == "gender":
                wanted = n.gender[r]
                alive = alive[(wanted < 0) | (v.gender[c] == wanted)]
            elif name == "tandem" and settings.tandem_gender == "same":
                own, their = n.own_gender[r], v.own_gender[c]
                alive = alive[(own < 0) | (their < 0) | (own == their)]
            elif name == "tandem" and settings.tandem_gender == "women_only":
                woman = tables.woman
                both = (n.own_gender[r] == woman) & (v.own_gender[c] == woman)
                alive = alive[both & (woman >= 0)]
            elif name == "certificate":
                alive = alive[~n.flag[r] | v.flag[c]]
            elif name == "household" and tables.household_rule:
                alive = alive[n.household[r] <= v.household[c]]
            elif name == "forbidden":
                alive = alive[~np.isin(r * n_cols + c, forbidden)]
            elif name == "score":
                facts = pair_facts(tables, settings, r, c)
                alive = alive[meets_min_score(facts.units, settings.min_score)]
            counts[lo : lo + len(block), stage] = np.bincount(which[alive], minlength=len(block))
    return counts


def no_feasible_detail(
    problem: Problem, tables: Tables, newcomer: int, counts: list[int]
) -> tuple[str, Reason]:
    """Why a newcomer has no feasible volunteer: the constraint that rules the last ones out.

    :param counts: the newcomer's row of :func:`stage_counts`.
    """
    person = problem.newcomers[newcomer]
    settings = problem.settings
    if not problem.volunteers:
        return "no volunteers", reason("no_volunteers", "no volunteers")
    stage = next(k for k, count in enumerate(counts) if count == 0)
    name = ALL_STAGES[stage]
    # Strongest language first, then by code: independent of the input order.
    langs = sorted(person.languages, key=lambda code: (-_LEVEL_RANK[person.languages[code]], code))
    if stage == 0:
        text = f"no volunteer shares {join_names(langs)}"
        return text, reason("language", text, languages=langs, candidates=0)
    # tables.languages holds exactly the codes spoken on both sides.
    shared = [code for code in langs if code in tables.languages]
    before = counts[stage - 1]
    prefix = f"{_plural(before, 'volunteer')} share{'s' if before == 1 else ''} "
    prefix += join_names(shared)
    level = settings.min_language_level
    # Basic is every shared language's level: a rule that rules nothing out goes unsaid.
    if stage > _AT["level"] and level is not None and _LEVEL_RANK[level] > 1:
        prefix += f" at level {level} or better"
    limit = float(tables.newcomers.limit_km[newcomer])
    limited = math.isfinite(limit)
    if stage > _AT["distance"] and limited:
        prefix += f" within {limit:g} km"
    if stage > _AT["slots"] and settings.min_shared_slots > 0:
        prefix += _slots_phrase(settings.min_shared_slots)
    tandem = settings.tandem_gender
    ending = {
        "level": f"none at level {level} or better on both sides",
        "distance": f"none within {limit:g} km" if limited else "",
        "slots": "none" + _slots_phrase(settings.min_shared_slots),
        "gender": f"none is {person.mentor_gender}",
        "tandem": (
            "none in a women-only tandem (both must be female)"
            if tandem == "women_only"
            else "none of the same gender"
        ),
        "certificate": "none has a police certificate (household with children)",
        "household": f"none welcomes a household of {person.household_size}",
        "forbidden": "all of them are forbidden for this newcomer",
        "score": f"none reaches the minimum score {settings.min_score:g}",
    }[name]
    text = f"{prefix}; {ending}"
    params: dict[str, Any] = {"candidates": before, "languages": shared}
    if name == "level":
        params["min_language_level"] = level
    elif name == "distance":
        params["max_distance_km"] = limit
    elif name == "slots":
        params["min_shared_slots"] = settings.min_shared_slots
    elif name == "gender":
        params["gender"] = person.mentor_gender
    elif name == "tandem":
        params["tandem_gender"] = tandem
    elif name == "household":
        params["household_size"] = person.household_size
    elif name == "score":
        params["min_score"] = settings.min_score
    return text, reason(name, text, **params)


def _slots_phrase(minimum: int) -> str:
    return " with a shared slot" if minimum == 1 else f" with {minimum} shared slots"


def taken_detail(competition: Competition) -> tuple[str, Reason]:
    """Why a newcomer with feasible volunteers stays unmatched: where those volunteers went.

    Claims only what was counted: no free place (paused, or held by pinned
    pairs), or proposed to others, and how those others compare.
    """
    c = competition
    parts = []
    if c.paused:
        parts.append((c.paused, "paused"))
    if c.full:
        parts.append((c.full, "without a free place (all taken by pinned pairs)"))
    if c.taken:
        parts.append((c.taken, f"proposed to {_plural(c.others, 'other newcomer')}"))
    head = _plural(c.candidates, "feasible volunteer")
    if len(parts) == 1:
        quantifier = {1: "", 2: "both "}.get(c.candidates, "all ")
        text = f"{head}, {quantifier}{parts[0][1]}"
    else:
        text = f"{head}: " + ", ".join(f"{count} {phrase}" for count, phrase in parts)
    if c.others:
        text += ", " + _others_phrase(c)
    params: TakenParams = {
        "candidates": c.candidates,
        "paused": c.paused,
        "full": c.full,
        "taken": c.taken,
        "others": c.others,
        "fewer_options": c.fewer_options,
        "min_options": c.min_options,
        "waited_longer": c.waited_longer,
        "higher_score": c.higher_score,
    }
    return text, reason("volunteers_taken", text, **params)


def _of_whom(count: int, total: int, predicate: str, first: bool) -> str:
    """A clause on ``count`` of ``total`` others: who have, N of whom have, all of whom have."""
    verb = "has" if count == 1 else "have"
    if count < total:
        return f"{count} of whom {verb} {predicate}"
    if first:
        return f"who {verb} {predicate}"
    return f"{'both' if total == 2 else 'all'} of whom {verb} {predicate}"


def _others_phrase(c: Competition) -> str:
    """How the newcomers who got the volunteers compare with this one."""
    verb = "has" if c.others == 1 else "have"
    if c.fewer_options == c.waited_longer == c.others:
        return f"who {verb} {_fewer(c)} and {verb} waited longer"
    clauses = []
    if c.fewer_options:
        clauses.append(_of_whom(c.fewer_options, c.others, _fewer(c), first=True))
    if c.waited_longer:
        clauses.append(_of_whom(c.waited_longer, c.others, "waited longer", first=not clauses))
    if clauses:
        return ", ".join(clauses)
    # Neither: among as many pairs, the score chose them, and the text says so.
    if c.others == 1:
        text = "who has neither fewer options nor waited longer"
        scores = "scores higher" if c.higher_score else "scores the same"
        text += f" {'but' if c.higher_score else 'and'} {scores} with that volunteer"
    else:
        text = "none of whom has fewer options or has waited longer; "
        if c.higher_score == c.others:
            text += "they score higher with these volunteers"
        elif c.higher_score == 0:
            text += "they score the same with these volunteers"
        else:
            verb = "scores" if c.higher_score == 1 else "score"
            text += (
                f"{c.higher_score} of them {verb} higher with these volunteers, the others the same"
            )
    ties = "" if c.higher_score == c.others else "; ties are broken by id"
    return f"{text} (the assignment maximises the number of pairs, then the total score{ties})"


def _fewer(c: Competition) -> str:
    """The fewer-options phrase with its numbers, e.g. "fewer options (only 1 each)"."""
    if c.min_options == c.max_options:
        numbers = f"only {c.min_options}" + (" each" if c.fewer_options > 1 else "")
    else:
        numbers = f"as few as {c.min_options}"
    return f"fewer options ({numbers})"
