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
