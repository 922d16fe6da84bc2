"""Benchmark the matching engine on realistic synthetic cities, against a dense baseline.

Usage::

    NUMPY_MADVISE_HUGEPAGE=0 .venv/bin/python benchmarks/engine.py --sizes 500,2000,10000,20000

For each size (volunteers = newcomers = N) it writes one problem file and
measures, each in a fresh subprocess so that peak memory (ru_maxrss) belongs to
that measurement alone:

- ``solve``: ``matcher.engine.solve`` inside a running process (what the web
  app calls), after imports and a warm-up call; the median of three runs up to
  N = 5,000, one run above;
- ``cli``: ``python -m matcher.engine solve FILE -o OUT`` end to end,
  interpreter start included;
- ``baseline``: the straightforward approach, a dense score matrix over all
  pairs with capacities as replicated columns and one ``linear_sum_assignment``
  (skipped above ``--baseline-max``, where it runs out of memory).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 26)
CENTRE = (50.9375, 6.9603)  # Cologne
#: (lat offset km, lon offset km, sigma km, weight): denser quarters of the city.
QUARTERS = [(0, 0, 2.0, 0.3), (3, -4, 1.5, 0.15), (-4, 3, 1.8, 0.15), (5, 5, 1.2, 0.1)]
CITY_RADIUS_KM = 12.5
SLOTS = [
    f"{d}-{p}"
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for p in ("morning", "afternoon", "evening")
]
TOPICS = [
    "authorities",
    "housing",
    "german",
    "jobs",
    "school",
    "health",
    "leisure",
    "childcare",
    "finance",
]
NEWCOMER_LANGUAGES = [
    ("ar", 0.30),
    ("uk", 0.20),
    ("fa", 0.12),
    ("tr", 0.10),
    ("ku", 0.08),
    ("ti", 0.07),
    ("ru", 0.08),
    ("so", 0.05),
]
VOLUNTEER_EXTRA = [
    ("en", 0.6),
    ("ar", 0.07),
    ("tr", 0.07),
    ("ru", 0.06),
    ("fr", 0.1),
    ("fa", 0.02),
    ("uk", 0.02),
]


def _point(rng: random.Random) -> tuple[float, float]:
    """A home in the city: a denser quarter or the even background, within ~25 km across."""
    while True:
        pick = rng.random()
        acc = 0.0
        dy = dx = None
        for qy, qx, sigma, weight in QUARTERS:
            acc += weight
            if pick < acc:
                dy, dx = rng.gauss(qy, sigma), rng.gauss(qx, sigma)
                break
        if dy is None or dx is None:
            r = CITY_RADIUS_KM * math.sqrt(rng.random())
            angle = rng.uniform(0, 2 * math.pi)
            dy, dx = r * math.sin(angle), r * math.cos(angle)
        if dy * dy + dx * dx <= CITY_RADIUS_KM**2:
            lat = CENTRE[0] + dy / 111.2
            lon = CENTRE[1] + dx / (111.2 * math.cos(math.radians(CENTRE[0])))
            return round(lat, 5), round(lon, 5)


def _pick(rng: random.Random, table: list[tuple[str, float]]) -> str:
    x = rng.random() * sum(w for _, w in table)
    for value, weight in table:
        x -= weight
        if x < 0:
            return value
    return table[-1][0]


def _slots(rng: random.Random, k_min: int, k_max: int, daytime: bool) -> list[str]:
    weights = [
        (1.5 if ("evening" in s) != daytime else 1.0) * (1.4 if s.startswith(("sat", "sun")) else 1)
        for s in SLOTS
    ]
    chosen: set[str] = set()
    k = rng.randint(k_min, k_max)
    while len(chosen) < k:
        chosen.add(_pick(rng, list(zip(SLOTS, weights))))
    return sorted(chosen)


def generate(n_volunteers: int, n_newcomers: int, seed: int = 1) -> dict[str, Any]:
    """A realistic problem for one city, deterministic for a seed."""
    rng = random.Random(seed)
    volunteers = []
    for k in range(n_volunteers):
        languages = {"de": "native" if rng.random() < 0.9 else rng.choice(["fluent", "good"])}
        for code, share in VOLUNTEER_EXTRA:
            if rng.random() < share:
                languages[code] = rng.choice(["basic", "good", "fluent", "native"])
        lat, lon = _point(rng)
        volunteers.append(
            {
                "id": f"v{k:05d}",
                "languages": languages,
                "location": {"lat": lat, "lon": lon},
                "slots": _slots(rng, 2, 6, daytime=False),
                "capacity": _pick(rng, [(0, 0.2), (1, 0.45), (2, 0.25), (3, 0.1)]),
                "gender": _pick(rng, [("female", 0.6), ("male", 0.38), ("diverse", 0.02)]),
                "police_certificate": rng.random() < 0.55,
                "topics": rng.sample(TOPICS, rng.randint(2, 4)),
            }
        )
    newcomers = []
    for k in range(n_newcomers):
        first = _pick(rng, NEWCOMER_LANGUAGES)
        languages = {first: "native"}
        if first == "uk" and rng.random() < 0.6:
            languages["ru"] = "fluent"
        if rng.random() < 0.5:
            languages["de"] = "basic" if rng.random() < 0.85 else "good"
        if rng.random() < 0.3:
            languages["en"] = rng.choice(["basic", "good", "fluent"])
        lat, lon = _point(rng)
        waited = rng.randint(0, 500)
        newcomers.append(
            {
                "id": f"n{k:05d}",
                "languages": languages,
                "location": {"lat": lat, "lon": lon},
                "slots": _slots(rng, 3, 8, daytime=True),
                "mentor_gender": _pick(rng, [("female", 0.25), ("male", 0.05), (None, 0.7)]),
                "minors": rng.random() < 1 / 3,
                "topics": rng.sample(TOPICS, rng.randint(1, 3)),
                "waiting_since": (TODAY - dt.timedelta(days=waited)).isoformat(),
            }
        )
    pinned = []
    forbidden = []
    for _ in range(max(1, n_newcomers // 200)):
        forbidden.append(
            {"volunteer": rng.choice(volunteers)["id"], "newcomer": rng.choice(newcomers)["id"]}
        )
    for k in rng.sample(range(n_newcomers), max(1, n_newcomers // 200)):
        pinned.append(
            {"volunteer": volunteers[k % n_volunteers]["id"], "newcomer": newcomers[k]["id"]}
        )
    return {
        "format": "matcher.problem/1",
        "today": TODAY.isoformat(),
        "settings": {
            "weights": {"language": 3, "distance": 2, "availability": 2, "topics": 1, "waiting": 1},
            "max_distance_km": 15,
            "min_shared_slots": 1,
            "min_score": 0.0,
        },
        "volunteers": volunteers,
        "newcomers": newcomers,
        "pinned": pinned,
        "forbidden": forbidden,
    }


def _rss_mib(usage: resource.struct_rusage) -> float:
    return usage.ru_maxrss / 1024  # Linux reports KiB


def _run_child(args: list[str]) -> tuple[float, float, str]:
    """Run a command; return wall seconds, its own peak RSS in MiB and its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(args, stdout=out, stderr=err, cwd=ROOT)
        # wait4 (not wait) to get this child's own resource usage.
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise RuntimeError(f"{args} failed: {err.read().decode()[-2000:]}")
        return wall, _rss_mib(usage), out.read().decode()


def _measure_solve(path: str) -> None:
    """Child: time matcher.engine.solve in-process; print JSON."""
    sys.path.insert(0, str(ROOT))
    from matcher.engine import solve

    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    solve(generate(50, 50, seed=99))  # imports and first-call costs are not the solve
    runs = []
    for _ in range(3 if len(doc["newcomers"]) <= 5000 else 1):
        started = time.perf_counter()
        result = solve(doc)
        runs.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "seconds": sorted(runs)[len(runs) // 2],
                "rss": _rss_mib(resource.getrusage(resource.RUSAGE_SELF)),
                "pairs": result["stats"]["pairs"],
                "total": result["stats"]["total_score"],
                "feasible": result["stats"]["feasible_pairs"],
            }
        )
    )


def _measure_baseline(path: str) -> None:
    """Child: dense full score matrix + one linear_sum_assignment; print JSON."""
    sys.path.insert(0, str(ROOT))
    from matcher.engine.memory import reuse_freed_memory

    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    # The same allocation tuning as the engine's, so the ratio compares methods.
    with reuse_freed_memory():
        _baseline(doc)


def _baseline(doc: dict[str, Any]) -> None:
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    from matcher.engine import parse_problem
    from matcher.engine.scoring import pair_facts
    from matcher.engine.tables import build_tables

    started = time.perf_counter()
    problem = parse_problem(doc)
    tables = build_tables(problem)
    settings = problem.settings
    n_new, n_vol = len(problem.newcomers), len(problem.volunteers)
    rows, cols = np.divmod(np.arange(n_new * n_vol, dtype=np.int64), n_vol)
    facts = pair_facts(tables, settings, rows, cols)
    nv, vv = tables.newcomers, tables.volunteers
    ok = facts.components["language"] > 0
    if settings.max_distance_km is not None:
        ok &= ~(facts.km > settings.max_distance_km)
    ok &= facts.shared_slots >= settings.min_shared_slots
    wanted = nv.gender[rows]
    ok &= (wanted < 0) | (vv.gender[cols] == wanted)
    ok &= ~nv.flag[rows] | vv.flag[cols]
    ok &= facts.units / 1e6 >= settings.min_score
    for i, j in problem.forbidden:
        ok[i * n_vol + j] = False
    score = np.where(ok, facts.units, -1).reshape(n_new, n_vol)
    del facts, ok, rows, cols
    capacity = tables.volunteers.capacity.copy()
    free = np.ones(n_new, dtype=bool)
    for i, j in problem.pinned:
        free[i] = False
        capacity[j] -= 1
    capacity = np.maximum(capacity, 0)
    columns = np.repeat(np.arange(n_vol), capacity)
    bonus = (min(n_new, len(columns)) + 1) * 1_000_000
    cost = np.where(score[free][:, columns] >= 0, -(bonus + score[free][:, columns]), 0.0)
    if cost.shape[0] > cost.shape[1]:
        cost = np.ascontiguousarray(cost.T)
    a, b = linear_sum_assignment(cost)
    pairs = int((cost[a, b] < 0).sum())
    pinned_rows = np.array([i for i, _ in problem.pinned], dtype=np.int64)
    pinned_cols = np.array([j for _, j in problem.pinned], dtype=np.int64)
    pinned_units = pair_facts(tables, settings, pinned_rows, pinned_cols).units.sum()
    total = float(-(cost[a, b][cost[a, b] < 0]).sum() - pairs * bonus + pinned_units) / 1e6
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rss": _rss_mib(resource.getrusage(resource.RUSAGE_SELF)),
                "pairs": pairs + len(problem.pinned),
                "total": total,
            }
        )
    )


def main() -> None:
    """Generate, measure, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        default="500,2000,10000,20000",
        help="comma-separated N (volunteers = newcomers = N)",
    )
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=5000,
        help="largest N for the dense baseline (beyond it: out of memory)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measure", choices=["solve", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure == "solve":
        return _measure_solve(args.file)
    if args.measure == "baseline":
        return _measure_baseline(args.file)

    me = [sys.executable, str(Path(__file__).resolve())]
    print(
        f"python {sys.version.split()[0]}, cores {len(os.sched_getaffinity(0))}, "
        f"NUMPY_MADVISE_HUGEPAGE={os.environ.get('NUMPY_MADVISE_HUGEPAGE', '(unset)')}"
    )
    header = (
        f"{'N':>6} {'feasible':>10} {'pairs':>6} {'solve s':>8} {'solve MiB':>9} "
        f"{'cli s':>7} {'cli MiB':>8} {'base s':>8} {'base MiB':>8} {'ratio':>6}"
    )
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(x) for x in args.sizes.split(",")]:
            path = Path(tmp) / f"problem-{n}.json"
            path.write_text(json.dumps(generate(n, n, seed=args.seed)), encoding="utf-8")
            _, solve_rss, out = _run_child([*me, "--measure", "solve", str(path)])
            solved = json.loads(out)
            cli_wall, cli_rss, _ = _run_child(
                [
                    sys.executable,
                    "-m",
                    "matcher.engine",
                    "solve",
                    str(path),
                    "-o",
                    str(Path(tmp) / "result.json"),
                ]
            )
            base = "OOM-skip"
            base_rss = ratio = ""
            if n <= args.baseline_max:
                _, rss, out = _run_child([*me, "--measure", "baseline", str(path)])
                measured = json.loads(out)
                if (
                    measured["pairs"] != solved["pairs"]
                    or abs(measured["total"] - solved["total"]) > 1e-3
                ):
                    raise RuntimeError(f"baseline disagrees at N={n}: {measured} vs {solved}")
                base = f"{measured['seconds']:.2f}"
                base_rss = f"{rss:.0f}"
                ratio = f"{measured['seconds'] / solved['seconds']:.1f}x"
            print(
                f"{n:>6} {solved['feasible']:>10} {solved['pairs']:>6} "
                f"{solved['seconds']:>8.3f} {solve_rss:>9.0f} {cli_wall:>7.2f} {cli_rss:>8.0f} "
                f"{base:>8} {base_rss:>8} {ratio:>6}",
                flush=True,
            )


if __name__ == "__main__":
    main()
