"""How many candidate pairs an agency's settings leave: the preview on the settings page.

Counts the volunteer–newcomer pairs that meet the engine's hard constraints
(`shared/spec/engine.md`): a shared language, distance within the limit, at least one
shared time slot, the wanted gender, a certificate where children are involved, and not
rejected or ended in conflict before. Weights change scores, never feasibility, so the
preview shows the funnel of pairs left after each rule. Newcomers are scanned in blocks so
a large agency needs little memory.
"""

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Agency, Match, Newcomer, Volunteer
from matcher.services.matching import problem

EARTH_RADIUS_KM = 6371.0088
BLOCK = 512


@dataclass(frozen=True)
class Funnel:
    """Pairs left after each hard constraint, in order; `feasible` is the last step."""

    volunteers: int
    newcomers: int
    all_pairs: int
    language: int
    distance: int
    slots: int
    gender_certificate: int
    feasible: int


def _people(agency: Agency) -> tuple[list[Volunteer], list[Newcomer]]:
    return problem.available_volunteers(agency), problem.waiting_newcomers(agency)


def _unit_vectors(
    people: list[Volunteer] | list[Newcomer],
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    lat = np.array([p.lat if p.lat is not None else 0.0 for p in people], dtype=np.float64)
    lon = np.array([p.lon if p.lon is not None else 0.0 for p in people], dtype=np.float64)
    located = np.array([p.lat is not None and p.lon is not None for p in people], dtype=bool)
    phi, lam = np.radians(lat), np.radians(lon)
    xyz = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=1)
    return xyz, located


def funnel(agency: Agency, max_distance_km: float | None, on: date) -> Funnel:
    """Count the candidate pairs the agency's people give with this distance limit."""
    volunteers, newcomers = _people(agency)
    n_v, n_n = len(volunteers), len(newcomers)
    steps = np.zeros(5, dtype=np.int64)
    if n_v and n_n:
        codes = sorted(
            {x.code for v in volunteers for x in v.languages}
            | {y.code for n in newcomers for y in n.languages}
        )
        column = {code: k for k, code in enumerate(codes)}
        lang_v = np.zeros((n_v, len(codes)), dtype=np.float32)
        for i, v in enumerate(volunteers):
            for x in v.languages:
                lang_v[i, column[x.code]] = 1
        lang_n = np.zeros((n_n, len(codes)), dtype=np.float32)
        for i, n in enumerate(newcomers):
            for y in n.languages:
                lang_n[i, column[y.code]] = 1
        slots_v = np.array([v.slots for v in volunteers], dtype=np.int64)
        slots_n = np.array([n.slots for n in newcomers], dtype=np.int64)
        genders = {g: k for k, g in enumerate(sorted({v.gender or "" for v in volunteers}))}
        gender_v = np.array([genders[v.gender or ""] for v in volunteers])
        wanted_n = np.array([genders.get(n.mentor_gender, -2) if n.mentor_gender else -1
                             for n in newcomers])  # fmt: skip
        certificate_v = np.array([v.certificate_valid_on(on) for v in volunteers], dtype=bool)
        minors_n = np.array([n.needs_certificate for n in newcomers], dtype=bool)
        xyz_v, located_v = _unit_vectors(volunteers)
        xyz_n, located_n = _unit_vectors(newcomers)
        cos_limit = (
            np.cos(min(np.pi, max_distance_km / EARTH_RADIUS_KM)) if max_distance_km else None
        )
        forbidden = _forbidden(agency, volunteers, newcomers)
        for start in range(0, n_n, BLOCK):
            stop = min(n_n, start + BLOCK)
            mask = (lang_n[start:stop] @ lang_v.T) > 0
            steps[0] += int(mask.sum())
            if cos_limit is not None:
                near = (xyz_n[start:stop] @ xyz_v.T) >= cos_limit - 1e-12
                near |= ~located_n[start:stop, None] | ~located_v[None, :]
                mask &= near
            steps[1] += int(mask.sum())
            mask &= (slots_n[start:stop, None] & slots_v[None, :]) != 0
            steps[2] += int(mask.sum())
            wanted = wanted_n[start:stop, None]
            mask &= (wanted == -1) | (wanted == gender_v[None, :])
            mask &= ~minors_n[start:stop, None] | certificate_v[None, :]
            steps[3] += int(mask.sum())
            rows = [(i - start, j) for i, j in forbidden if start <= i < stop]
            steps[4] += int(mask.sum()) - sum(bool(mask[i, j]) for i, j in rows)
    return Funnel(n_v, n_n, n_v * n_n, *(int(s) for s in steps))


def _forbidden(
    agency: Agency, volunteers: list[Volunteer], newcomers: list[Newcomer]
) -> list[tuple[int, int]]:
    """Pairs rejected before or ended in conflict, as (newcomer row, volunteer column)."""
    v_index = {v.id: j for j, v in enumerate(volunteers)}
    n_index = {n.id: i for i, n in enumerate(newcomers)}
    pairs = db.session.execute(
        select(Match.newcomer_id, Match.volunteer_id).where(
            Match.agency_id == agency.id,
            Match.rules_out_pair,
        )
    )
    return sorted({(n_index[n], v_index[v]) for n, v in pairs if n in n_index and v in v_index})
