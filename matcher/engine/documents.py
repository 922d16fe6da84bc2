"""The engine's documents as typed dictionaries: what goes in, what comes out.

``matcher.problem/1`` goes in, ``matcher.result/1`` and ``matcher.funnel/1``
come out (``shared/spec/engine.md``). Spelt out for mypy, the code on both
sides of the contract checks its keys instead of guessing them. ``NotRequired``
marks a key that may be absent; ``| None`` one that may also be null.
Validation still accepts any JSON value and names what is wrong with it.

No ``from __future__ import annotations`` here: with it, Python 3.11 cannot
see ``NotRequired`` at run time and lists every key as required.
"""

from typing import Any, Literal, NotRequired, TypedDict

# -- matcher.problem/1 ---------------------------------------------------------


class Weights(TypedDict, total=False):
    """Weight per score component; absent keys keep the engine's defaults."""

    language: float
    distance: float
    availability: float
    topics: float
    waiting: float
    #: The children's age-band preference; default 0 (off).
    family: float


class ProblemSettings(TypedDict, total=False):
    """The problem's ``settings``; every key is optional."""

    weights: Weights
    #: None: no distance limit.
    max_distance_km: float | None
    min_shared_slots: int
    min_score: float
    #: basic, good, fluent or native: a shared language where both have at least this level.
    min_language_level: str | None
    #: "same" (where both genders are known they are equal) or "women_only".
    tandem_gender: str | None


class Location(TypedDict):
    """A place in degrees."""

    lat: float
    lon: float


class VolunteerEntry(TypedDict):
    """One volunteer of ``volunteers``."""

    id: str
    #: Language code (ISO 639-1 or 639-3) to level: basic, good, fluent or native.
    languages: dict[str, str]
    location: NotRequired[Location | None]
    #: A German postcode; places the person at its centroid when ``location`` is absent.
    postcode: NotRequired[str | None]
    #: Weekly slots such as "mon-evening".
    slots: NotRequired[list[str] | None]
    #: Newcomers at once, 0 to 10 (0: paused); default 1.
    capacity: NotRequired[int]
    gender: NotRequired[str | None]
    police_certificate: NotRequired[bool | None]
    #: What the volunteer offers.
    topics: NotRequired[list[str] | None]
    #: Households of more than one welcome; absent: no household rule for this volunteer.
    families_welcome: NotRequired[bool | None]
    #: The largest household (people) they meet; null: any size.
    max_household: NotRequired[int | None]
    #: The children's ages they like to meet; empty: no preference.
    child_age_bands: NotRequired[list[str] | None]
    interests: NotRequired[list[str] | None]


class NewcomerEntry(TypedDict):
    """One newcomer of ``newcomers``."""

    id: str
    languages: dict[str, str]
    location: NotRequired[Location | None]
    postcode: NotRequired[str | None]
    slots: NotRequired[list[str] | None]
    #: The volunteer's gender this newcomer asks for.
    mentor_gender: NotRequired[str | None]
    #: Children in the household: the volunteer needs a police certificate.
    minors: NotRequired[bool | None]
    #: What the newcomer needs.
    topics: NotRequired[list[str] | None]
    #: An ISO date.
    waiting_since: NotRequired[str | None]
    #: The newcomer's own gender (only the tandem rule reads it).
    gender: NotRequired[str | None]
    #: People in the household, at least 1 (default).
    household_size: NotRequired[int | None]
    child_age_bands: NotRequired[list[str] | None]
    #: How far the newcomer can travel; the pair's limit is the smaller of this and the settings'.
    max_distance_km: NotRequired[float | None]
    interests: NotRequired[list[str] | None]


class PairRef(TypedDict):
    """A volunteer–newcomer pair by id, in ``pinned`` and ``forbidden``."""

    volunteer: str
    newcomer: str


class ProblemDocument(TypedDict):
    """``matcher.problem/1``: the people, the settings and the decided pairs."""

    format: Literal["matcher.problem/1"]
    #: An ISO date, the reference for waiting times; default the current date.
    today: NotRequired[str | None]
    settings: NotRequired[ProblemSettings | None]
    volunteers: list[VolunteerEntry]
    newcomers: list[NewcomerEntry]
    #: Pairs a person approved: always in the result.
    pinned: NotRequired[list[PairRef] | None]
    #: Pairs never to be proposed.
    forbidden: NotRequired[list[PairRef] | None]


# -- matcher.result/1 ----------------------------------------------------------


class Components(TypedDict):
    """A pair's score components, each in [0, 1]."""

    language: float
    distance: float
    availability: float
    topics: float
    waiting: float
    #: Only where ``settings.weights.family`` is above 0.
    family: NotRequired[float]


class ReasonCode(TypedDict):
    """A reason as a code with parameters (for translation) and its English text."""

    code: str
    params: dict[str, Any]
    text: str


class Pair(TypedDict):
    """A proposed (or pinned) pair."""

    volunteer: str
    newcomer: str
    score: float
    pinned: bool
    components: Components
    #: English, most important first.
    reasons: list[str]
    #: With ``with_codes``: the same reasons as codes, in the same order.
    reason_codes: NotRequired[list[ReasonCode]]


class TakenParams(TypedDict):
    """The ``params`` of a ``volunteers_taken`` detail code: where the volunteers went.

    A newcomer's *options* are its feasible volunteers with a free place
    after the pinned pairs; for the unmatched newcomer that is ``taken``.
    """

    #: Feasible volunteers.
    candidates: int
    #: Of those, paused (capacity 0).
    paused: int
    #: Not paused, but every place held by pinned pairs.
    full: int
    #: With free places, all proposed to other newcomers.
    taken: int
    #: The newcomers proposed to the ``taken`` volunteers.
    others: int
    #: Of the others, those with fewer options than this newcomer.
    fewer_options: int
    #: The fewest options among those; None when ``fewer_options`` is 0.
    min_options: int | None
    #: Of the others, those who have waited longer (days up to ``today``).
    waited_longer: int
    #: Of the others, those who score higher with their volunteer than this
    #: newcomer would; the rest score the same.
    higher_score: int


class UnmatchedNewcomer(TypedDict):
    """A newcomer left without a volunteer, and why."""

    newcomer: str
    reason: Literal["no_feasible_volunteer", "volunteers_taken"]
    #: English.
    detail: str
    #: With ``with_codes``: the code names the blocking constraint or is
    #: ``volunteers_taken`` (then ``params`` is a :class:`TakenParams`).
    detail_code: NotRequired[ReasonCode]


class UnmatchedVolunteer(TypedDict):
    """A volunteer (not paused) left without any newcomer."""

    volunteer: str
    free_capacity: int


class Candidate(TypedDict):
    """A feasible volunteer of a newcomer, chosen or not."""

    volunteer: str
    score: float


class Stats(TypedDict):
    """Sizes and totals of a solve."""

    volunteers: int
    newcomers: int
    feasible_pairs: int
    pairs: int
    total_score: float
    seconds: float


class ResultDocument(TypedDict):
    """``matcher.result/1``: the proposed pairs, who is left out and why."""

    format: Literal["matcher.result/1"]
    #: Sorted by newcomer id.
    pairs: list[Pair]
    unmatched_newcomers: list[UnmatchedNewcomer]
    unmatched_volunteers: list[UnmatchedVolunteer]
    #: Only when asked: newcomer id to feasible volunteers, best score first.
    candidates: NotRequired[dict[str, list[Candidate]]]
    stats: Stats


# -- matcher.funnel/1 ----------------------------------------------------------


class FunnelStages(TypedDict):
    """Pairs left after each hard constraint, applied in this order (``explain.STAGES``)."""

    language: int
    distance: int
    slots: int
    gender: int
    certificate: int
    forbidden: int
    score: int


class FunnelDocument(TypedDict):
    """``matcher.funnel/1``: how many pairs the hard constraints leave, stage by stage.

    Counted over the volunteers with a free place after the pinned pairs and
    the newcomers who are not pinned: the people a solve can still pair.
    """

    format: Literal["matcher.funnel/1"]
    volunteers: int
    newcomers: int
    #: volunteers x newcomers.
    all_pairs: int
    stages: FunnelStages
    #: The pairs left after the last stage: the feasible pairs among these people.
    feasible_pairs: int
    #: Only when asked (``funnel(..., walk=True)``): every stage, the must-rules included.
    walk: NotRequired[list["FunnelStep"]]


class FunnelStep(TypedDict):
    """One stage of ``explain.ALL_STAGES``: the pairs it leaves, and the newcomers who still
    have some volunteer after it."""

    stage: str
    pairs: int
    newcomers: int
