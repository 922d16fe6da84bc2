"""The migration to runs as background jobs keeps old runs readable and their matches linked,
and the migrated database keeps one run under way per agency; it goes back down too."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from matcher.database import MIGRATIONS_DIR
from tests.conftest import inside
from tests.migrating import database_at

BEFORE = "b3d41c7e9a02"
NOW = "'2026-11-26 10:00:00'"


@pytest.fixture
def old_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Flask, Engine]]:
    with database_at(
        BEFORE,
        backend,
        tmp_path,
        request,
        "matcher_old_runs",
        JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite'}",
    ) as found:
        yield found


def test_old_runs_stay_readable_and_one_run_per_agency_holds_after_the_upgrade(
    old_database: tuple[Flask, Engine],
) -> None:
    app, engine = old_database
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO agencies (id, slug, name, umbrella, city, privacy_contact, max_distance_km,"
            " weights, retention_months, checkin_interval_weeks, trial_weeks, privacy_notice_version,"
            f" privacy_notice_text, created_at) VALUES (1, 'a', 'A', 'awo', '', '', 15, '{{}}', 24,"
            f" 10, 4, '1', '', {NOW})"
        ))  # fmt: skip
        run = (
            "INSERT INTO match_runs (id, agency_id, started_at, status, parameters, volunteers,"
            " newcomers, feasible_pairs, pairs, unmatched) VALUES ({id}, 1, "
            + NOW
            + ", '{status}', '{parameters}', 0, 0, 0, {pairs}, '[]')"
        )
        conn.execute(text(run.format(id=1, status="finished", parameters="{}", pairs=1)))
        error = '{"today": "2026-11-26", "error": "settings.weights: must not be negative"}'
        conn.execute(text(run.format(id=2, status="failed", parameters=error, pairs=0)))
        conn.execute(text(run.format(id=3, status="running", parameters="{}", pairs=0)))
        conn.execute(text(
            "INSERT INTO volunteers (id, agency_id, first_name, last_name, email, phone, postcode,"
            " age_band, slots, topics, capacity, status, motivation, can_show_certificate,"
            f" created_at, updated_at) VALUES (1, 1, 'V', 'W', 'v@x.org', '', '50823', '36_50',"
            f" 1, '[]', 1, 'active', '', false, {NOW}, {NOW})"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO newcomers (id, agency_id, first_name, contact_note, postcode, age_band,"
            " slots, topics, minors, status, waiting_since, created_at, updated_at) VALUES"
            f" (1, 1, 'N', '', '50823', '26_35', 1, '[]', false, 'waiting', '2026-01-01',"
            f" {NOW}, {NOW})"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO matches (id, agency_id, volunteer_id, newcomer_id, run_id, status,"
            f" components, reasons, proposed_at, reject_reason, version) VALUES (1, 1, 1, 1, 1,"
            f" 'proposed', '{{}}', '[]', {NOW}, '', 1)"
        ))  # fmt: skip

    with inside(app):
        upgrade(directory=str(MIGRATIONS_DIR))
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, status, failure, failure_detail FROM match_runs ORDER BY id")
        ).all()
        assert [tuple(r) for r in rows] == [
            (1, "finished", None, None),
            (2, "failed", "invalid_problem", "settings.weights: must not be negative"),
            (3, "failed", "worker_lost",
             "the web worker running it was stopped before it finished (before background jobs)"),
        ]  # fmt: skip
        # The old run still holds its proposal (recreating the table on SQLite kept the link).
        assert conn.execute(text("SELECT run_id FROM matches WHERE id = 1")).scalar() == 1
        conn.execute(text(run.format(id=4, status="queued", parameters="{}", pairs=0)))
        with pytest.raises(IntegrityError):
            conn.execute(text(run.format(id=5, status="solving", parameters="{}", pairs=0)))
        conn.rollback()

    with inside(app):
        downgrade(directory=str(MIGRATIONS_DIR), revision=BEFORE)
    with engine.connect() as conn:
        statuses = conn.execute(text("SELECT status FROM match_runs ORDER BY id")).scalars().all()
        assert statuses == ["finished", "failed", "failed"]
        assert conn.execute(text("SELECT run_id FROM matches WHERE id = 1")).scalar() == 1
