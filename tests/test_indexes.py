"""The indexes for many agencies: the migrations build exactly the models' indexes, and
PostgreSQL's trigram index degrades to a plain one where pg_trgm cannot be had.

Alembic compares an index's name and columns only, not its WHERE (a partial index) or its
method (GIN, trigram operators); `tests/test_migrations.py` would not see those differ.
"""

import re
from pathlib import Path

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from matcher import create_app
from matcher.database import MIGRATIONS_DIR
from matcher.models.base import Base
from tests.conftest import app_test_config, create_database, inside


def _index_definitions(url: str) -> dict[str, str]:
    """Every index the database holds, by name, as it would create it (normalised)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                rows = conn.execute(
                    text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
                )
            else:
                rows = conn.execute(
                    text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql != ''")
                )
            found = {name: sql for name, sql in rows if sql}
    finally:
        engine.dispose()
    # The same index, spelled by Alembic or by SQLAlchemy: quotes and spaces may differ.
    return {
        name: re.sub(r"\s+", " ", sql.replace('"', "")).strip().lower()
        for name, sql in found.items()
        if name != "alembic_version_pkc"
    }


def _migrated(url: str) -> None:
    app = create_app(app_test_config(url))
    with inside(app):
        upgrade(directory=str(MIGRATIONS_DIR))
        from matcher.extensions import db

        db.engine.dispose()


def _created(url: str) -> None:
    engine = create_engine(url)
    try:
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()


@pytest.fixture
def two_databases(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, str]:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.sqlite'}", f"sqlite:///{tmp_path / 'made.sqlite'}"
    server = request.getfixturevalue("postgres_server_url")
    return create_database(server, "indexes_migrated"), create_database(server, "indexes_made")


def test_the_migrations_build_the_models_indexes_with_their_conditions_and_methods(
    backend: str, two_databases: tuple[str, str]
) -> None:
    migrated, made = two_databases
    _migrated(migrated)
    _created(made)
    assert _index_definitions(migrated) == _index_definitions(made)

    indexes = _index_definitions(migrated)
    # The composite indexes lead with agency_id; the single-column ones they replace are gone.
    assert "(agency_id, last_name, first_name, id) where" in indexes["ix_volunteers_agency_name"]
    assert "anonymised_at is null" in indexes["ix_newcomers_agency_waiting"]
    assert "done_at is null" in indexes["ix_check_ins_pending"]
    assert indexes["ix_matches_agency_newest"].endswith("(agency_id, id)")
    for gone in ("ix_volunteers_status", "ix_matches_agency_id", "ix_check_ins_due_on"):
        assert gone not in indexes
    if backend == "postgresql":
        assert "using gin (search_key gin_trgm_ops)" in indexes["ix_volunteers_search_key"]
        assert "using gin (search_key gin_trgm_ops)" in indexes["ix_newcomers_search_key"]
    else:
        assert indexes["ix_volunteers_search_key"].endswith("on volunteers (search_key)")


def test_without_pg_trgm_the_migration_keeps_a_plain_search_index_and_says_so(
    postgres_server_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """A user who may not create extensions in its database (a hosted PostgreSQL, say):
    the upgrade still completes, with the plain index of before and a warning."""
    url = create_database(postgres_server_url, "indexes_no_trgm")
    admin = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS matcher_plain")
        conn.execute("CREATE ROLE matcher_plain LOGIN")
        conn.execute("GRANT CONNECT ON DATABASE indexes_no_trgm TO matcher_plain")
        conn.execute("REVOKE CREATE ON DATABASE indexes_no_trgm FROM PUBLIC")
        conn.execute("GRANT USAGE, CREATE ON SCHEMA public TO matcher_plain")
    plain = make_url(url).set(username="matcher_plain").render_as_string(hide_password=False)
    try:
        _migrated(plain)
        indexes = _index_definitions(url)
        assert indexes["ix_volunteers_search_key"].endswith("using btree (search_key)")
        assert indexes["ix_newcomers_search_key"].endswith("using btree (search_key)")
        assert "ix_volunteers_agency_name" in indexes  # the rest of the migration ran
        # Alembic's log goes to stderr (migrations/alembic.ini), where the operator sees it.
        assert "pg_trgm could not be created (permission denied" in capfd.readouterr().err
    finally:
        server = make_url(postgres_server_url).set(drivername="postgresql")
        with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute("DROP DATABASE indexes_no_trgm WITH (FORCE)")
            conn.execute("DROP ROLE matcher_plain")
