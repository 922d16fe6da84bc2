"""How many candidate pairs an agency's settings leave: the preview on the settings page.

The preview builds the very problem a run would solve (`problem.build`, so the same
people count as available and waiting) with the settings being tried, and lets the engine
count the pairs each hard constraint leaves (`matcher.engine.funnel`, from the engine's
own stage counts). So the preview, a run and the "why not matched" page cannot disagree
about what a rule rules out. Weights change scores, never feasibility.
"""

from dataclasses import dataclass
from datetime import date

from matcher.engine import funnel as engine_funnel
from matcher.models import Agency
from matcher.services.matching import problem
from matcher.services.matching.must_rules import MustRules


@dataclass(frozen=True)
class Funnel:
    """Pairs left after each hard constraint, in the engine's order; `feasible` is the last."""

    volunteers: int
    newcomers: int
    all_pairs: int
    language: int
    distance: int
    slots: int
    gender: int
    certificate: int
    forbidden: int
    feasible: int

    @property
    def gender_certificate(self) -> int:
        """Pairs left once the gender wish and the certificate rule are applied."""
        return self.certificate


def funnel(agency: Agency, max_distance_km: float | None, on: date) -> Funnel:
    """Count the candidate pairs the agency's people give with this distance limit."""
    document = problem.build(agency, on).document
    settings = problem.settings(agency)
    settings["max_distance_km"] = max_distance_km
    document["settings"] = settings
    counted = engine_funnel(document)
    stages = counted["stages"]
    return Funnel(
        volunteers=counted["volunteers"],
        newcomers=counted["newcomers"],
        all_pairs=counted["all_pairs"],
        language=stages["language"],
        distance=stages["distance"],
        slots=stages["slots"],
        gender=stages["gender"],
        certificate=stages["certificate"],
        forbidden=stages["forbidden"],
        feasible=counted["feasible_pairs"],
    )


def as_json(counted: Funnel) -> dict[str, int]:
    """The funnel as the settings page's script reads it."""
    return {**counted.__dict__, "gender_certificate": counted.gender_certificate}


# -- issue 13: the must-rules preview on the coordinator's settings page ----------------------


@dataclass(frozen=True)
class Step:
    """One hard rule of the engine's walk: pairs left after it, and newcomers who still have
    some volunteer; `pairs_removed` / `newcomers_removed` is what this rule alone takes."""

    stage: str
    pairs: int
    newcomers: int
    pairs_removed: int
    newcomers_removed: int


@dataclass(frozen=True)
class RulesFunnel:
    """The engine's whole walk (must-rules included) for the rules being tried."""

    volunteers: int
    newcomers: int
    all_pairs: int
    steps: list[Step]

    @property
    def feasible(self) -> int:
        """The pairs left after every rule."""
        return self.steps[-1].pairs if self.steps else 0

    @property
    def newcomers_with_options(self) -> int:
        """Newcomers who still have at least one possible volunteer."""
        return self.steps[-1].newcomers if self.steps else 0


def rules_funnel(agency: Agency, rules: MustRules, on: date) -> RulesFunnel:
    """Count what each hard rule leaves with these must-rules (not saved) and interests."""
    document = problem.build(agency, on, rules=rules).document
    counted = engine_funnel(document, walk=True)
    steps = []
    pairs_before, newcomers_before = counted["all_pairs"], counted["newcomers"]
    for step in counted.get("walk", []):
        steps.append(
            Step(
                stage=step["stage"],
                pairs=step["pairs"],
                newcomers=step["newcomers"],
                pairs_removed=pairs_before - step["pairs"],
                newcomers_removed=newcomers_before - step["newcomers"],
            )
        )
        pairs_before, newcomers_before = step["pairs"], step["newcomers"]
    return RulesFunnel(
        volunteers=counted["volunteers"],
        newcomers=counted["newcomers"],
        all_pairs=counted["all_pairs"],
        steps=steps,
    )


def rules_json(counted: RulesFunnel) -> dict[str, object]:
    """The walk as the settings page's script reads it."""
    return {
        "volunteers": counted.volunteers,
        "newcomers": counted.newcomers,
        "all_pairs": counted.all_pairs,
        "feasible": counted.feasible,
        "newcomers_with_options": counted.newcomers_with_options,
        "steps": {step.stage: step.__dict__ for step in counted.steps},
    }
