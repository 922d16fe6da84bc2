"""The scale benchmark (benchmarks/scale.py) at a tiny size, so that it cannot rot.

Its generator writes every table in bulk, bypassing the models: a column added without a
default, or a page that stops answering 200, breaks this test rather than the next big run.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks import scale, scale_data
from matcher import tenancy
from matcher.extensions import db
from matcher.models import Agency, Match, Newcomer, Volunteer
from tests.conftest import create_database

SHAPE = scale_data.Shape(agencies=3, volunteers=20, newcomers=20)
MEASURED = 1  # the agency in the middle


@pytest.fixture
def urls(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, str]:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'one.sqlite'}", f"sqlite:///{tmp_path / 'all.sqlite'}"
    server = request.getfixturevalue("postgres_server_url")
    return create_database(server, "scale_one"), create_database(server, "scale_all")


def _people(database: scale.Database) -> list[tuple[str, str, str]]:
    with database.app.app_context(), tenancy.for_agency(database.probe.agency_id):
        rows = db.session.execute(
            select(Volunteer.first_name, Volunteer.last_name, Volunteer.status).order_by(
                Volunteer.email
            )
        )
        return [tuple(row) for row in rows]


def test_the_benchmark_builds_both_databases_and_measures_every_page(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    quiet = lambda line: None  # noqa: E731
    one = scale.prepare("one", urls[0], [MEASURED], MEASURED, SHAPE, now, str(tmp_path), quiet)
    every = list(range(SHAPE.agencies))
    many = scale.prepare("all", urls[1], every, MEASURED, SHAPE, now, str(tmp_path), quiet)
    try:
        # The migrations made the schema, the generator filled it in proportion.
        with many.db.app.app_context(), tenancy.all_agencies():
            assert db.session.query(Agency).count() == SHAPE.agencies
            assert db.session.query(Volunteer).count() == SHAPE.agencies * SHAPE.volunteers
            assert db.session.query(Newcomer).count() == SHAPE.agencies * SHAPE.newcomers
            statuses = set(db.session.scalars(select(Match.status)))
            assert {"proposed", "approved", "active", "ended", "rejected"} <= statuses
        # The measured agency is the same in both databases: the same people.
        assert _people(one.db) == _people(many.db)
        assert one.db.probe.agency_id == 1 and many.db.probe.agency_id == MEASURED + 1

        results = scale.measure([one.db, many.db], repeat=1, runs=1, say=quiet)
    finally:
        for prepared in (one, many):
            with prepared.db.app.app_context():
                db.engine.dispose()

    # Every page answered 200 (measure() stops otherwise) in both, with its SQL recorded.
    labels = [scale.RUN_LABEL, *(label for _who, label, _path in scale.PAGES)]
    assert list(results.timings) == labels
    for label in labels:
        for name in ("one", "all"):
            timing = results.timings[label][name]
            assert len(timing.seconds) == 1 and timing.best > 0
            assert timing.statements > 0, (label, name)
    table = scale.table(results, "one", "all")
    assert all(f"| {label} |" in table for label in labels)
