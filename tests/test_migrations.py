"""The migrations create exactly the models' schema, on SQLite and PostgreSQL, and undo it."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from matcher import create_app
from matcher.database import MIGRATIONS_DIR
from matcher.models.base import Base
from tests.conftest import app_test_config, create_database, inside


@pytest.fixture
def empty_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    server = request.getfixturevalue("postgres_server_url")
    return create_database(server, "matcher_migrations")


def test_upgrade_gives_exactly_the_models_schema_and_downgrade_removes_it(
    empty_database: str,
) -> None:
    app = create_app(app_test_config(empty_database))
    with inside(app):
        upgrade(directory=str(MIGRATIONS_DIR))
    engine = create_engine(empty_database)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            differences = compare_metadata(context, Base.metadata)
            assert differences == []
            tables = set(inspect(conn).get_table_names())
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
        # Alembic does not compare CHECKs and partial indexes: try to break each rule instead.
        with engine.connect() as conn:
            assert_database_keeps_the_rules(conn)
        with inside(app):
            downgrade(directory=str(MIGRATIONS_DIR), revision="base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
        with inside(app):
            from matcher.extensions import db

            db.engine.dispose()


def test_migration_files_follow_the_naming_scheme() -> None:
    names = [p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py")]
    assert names
    for name in names:
        date, time, rev, *slug = name.removesuffix(".py").split("_")
        assert len(date) == 8 and date.isdigit(), name
        assert len(time) == 4 and time.isdigit(), name
        assert rev and slug, name


def _violates(conn: Connection, sql: str) -> bool:
    savepoint = conn.begin_nested()
    try:
        conn.execute(text(sql))
    except IntegrityError:
        savepoint.rollback()
        return True
    savepoint.rollback()
    return False


def assert_database_keeps_the_rules(conn: Connection) -> None:
    """Insert rows that break a rule; the database itself must refuse each one."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA foreign_keys=ON"))
    now = "'2026-11-26 10:00:00'"
    conn.execute(
        text(
            "INSERT INTO agencies (id, slug, name, umbrella, city, privacy_contact, max_distance_km,"
            " weights, retention_months, checkin_interval_weeks, trial_weeks, privacy_notice_version,"
            f" privacy_notice_text, created_at) VALUES (1, 'a', 'A', 'awo', '', '', 15, '{{}}', 24,"
            f" 10, 4, '1', '', {now})"
        )
    )
    volunteer = (
        "INSERT INTO volunteers (id, agency_id, first_name, last_name, email, phone, postcode,"
        " age_band, slots, topics, capacity, status, motivation, can_show_certificate,"
        " created_at, updated_at) VALUES ({id}, 1, 'V', 'W', '{email}', '', '50823', '36_50',"
        f" 1, '[]', {{capacity}}, '{{status}}', '', false, {now}, {now})"
    )
    newcomer = (
        "INSERT INTO newcomers (id, agency_id, first_name, contact_note, postcode, age_band,"
        " slots, topics, minors, status, waiting_since, created_at, updated_at) VALUES"
        f" ({{id}}, 1, 'N', '', '50823', '26_35', 1, '[]', false, '{{status}}', '2026-01-01',"
        f" {now}, {now})"
    )
    match = (
        "INSERT INTO matches (id, agency_id, volunteer_id, newcomer_id, status, components,"
        " reasons, proposed_at, reject_reason, version) VALUES"
        f" ({{id}}, 1, 1, 1, '{{status}}', '{{{{}}}}', '[]', {now}, '', 1)"
    )
    conn.execute(text(volunteer.format(id=1, email="v@x.org", capacity=1, status="active")))
    conn.execute(text(newcomer.format(id=1, status="waiting")))
    conn.execute(text(match.format(id=1, status="approved")))
    # unique emails (per agency, lower-case)
    assert _violates(conn, volunteer.format(id=2, email="v@x.org", capacity=1, status="active"))
    assert _violates(conn, volunteer.format(id=2, email="V@x.org", capacity=1, status="active"))
    # valid statuses, capacities, levels
    assert _violates(conn, volunteer.format(id=2, email="w@x.org", capacity=1, status="bogus"))
    assert _violates(conn, volunteer.format(id=2, email="w@x.org", capacity=4, status="active"))
    assert _violates(conn, newcomer.format(id=2, status="bogus"))
    assert _violates(conn, "INSERT INTO volunteer_languages VALUES (1, 'ar', 'expert')")
    assert not _violates(conn, "INSERT INTO volunteer_languages VALUES (1, 'ar', 'fluent')")
    assert _violates(conn, match.format(id=2, status="bogus"))
    # one open match per newcomer; closed ones may pile up
    assert _violates(conn, match.format(id=2, status="proposed"))
    assert not _violates(conn, match.format(id=2, status="rejected"))
    # foreign keys hold
    assert _violates(conn, "INSERT INTO newcomer_languages VALUES (999, 'ar', 'native')")
    conn.rollback()
