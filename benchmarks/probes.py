"""Benchmark the operators' probes: /healthz, /readyz and /metrics, side by side in one run.

Usage::

    .venv/bin/python benchmarks/probes.py [--database-url URL] [--calls 300] [--rounds 5]
        [--pending-mails 1000]

It migrates a fresh database (SQLite in a temporary folder unless --database-url names an
empty one), queues `--pending-mails` mails so the outbox checks have rows to look at, and
calls each probe in-process through Flask's test client (no HTTP server, so the figure is
the app's own cost) `--calls` times per round, the probes interleaved. It prints the best
round's median and 95th percentile per probe, in milliseconds: /readyz must stay cheap
enough to poll every few seconds.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from matcher import create_app  # noqa: E402
from matcher.extensions import db  # noqa: E402
from matcher.models import OutboxMessage  # noqa: E402

PROBES = ("/healthz", "/readyz", "/metrics")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pending-mails", type=int, default=1000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="matcher-probes-"))
    url = args.database_url or f"sqlite:///{folder / 'probes.sqlite'}"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "METRICS_TOKEN": "bench",
        "JOBS_URL": f"sqlite:///{folder / 'jobs.sqlite'}", "LOG_REQUESTS": False,
        "READYZ_OUTBOX_MAX_AGE_SECONDS": None,
    })  # fmt: skip
    logging.getLogger("matcher").setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
        db.session.add_all(
            OutboxMessage(kind="bench", to_address=f"m{i}@example.org", subject="s", body="b")
            for i in range(args.pending_mails)
        )
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": "Bearer bench"}
    for probe in PROBES:  # warm up: first connections, migration scripts read once
        assert client.get(probe, headers=headers).status_code == 200, probe

    best: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        times: dict[str, list[float]] = {p: [] for p in PROBES}
        for _ in range(args.calls):
            for probe in PROBES:
                started = time.perf_counter()
                status = client.get(probe, headers=headers).status_code
                times[probe].append((time.perf_counter() - started) * 1000)
                assert status == 200, (probe, status)
        for probe, values in times.items():
            if probe not in best or statistics.median(values) < statistics.median(best[probe]):
                best[probe] = values

    backend = url.split(":", 1)[0]
    print(f"{backend}, {args.pending_mails} pending mails, best of {args.rounds} rounds "
          f"of {args.calls} calls each:")  # fmt: skip
    for probe in PROBES:
        values = sorted(best[probe])
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"  {probe:9} median {statistics.median(values):6.2f} ms   p95 {p95:6.2f} ms")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
