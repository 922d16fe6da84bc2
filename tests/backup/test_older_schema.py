"""A backup of an older schema restores over a running database: connections the app holds
open see the restored content, and the operator is told to run `db upgrade`, which works."""

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import Connection, create_engine, func, select, text

from matcher.database import MIGRATIONS_DIR
from matcher.extensions import db
from matcher.models import Agency, AuditEvent
from matcher.services.platform import backup
from tests.backup.conftest import revisions_of
from tests.conftest import agency_factory, inside

#: A revision from before several migrations (as in tests/test_migrations_with_data.py).
OLDER = "5c3e9a1b7d20"


def slugs(conn: Connection) -> list[str]:
    found = list(conn.execute(text("SELECT slug FROM agencies ORDER BY slug")).scalars())
    conn.rollback()  # idle between requests, as a pooled connection is: no locks held
    return found


def test_an_older_backup_restores_over_a_running_database_and_upgrades(
    new_database: Callable[[str], str], make_site: Callable[..., Flask], tmp_path: Path
) -> None:
    source_url = new_database("old")
    source = make_site(source_url, "old")
    with inside(source):
        upgrade(directory=str(MIGRATIONS_DIR), revision=OLDER)
    old = create_engine(source_url)
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agencies (id, slug, name, umbrella, city, privacy_contact,"
                " max_distance_km, weights, retention_months, checkin_interval_weeks, trial_weeks,"
                " privacy_notice_version, privacy_notice_text, created_at) VALUES (1, 'from-backup',"
                " 'A', 'awo', '', '', 15, '{}', 24, 10, 4, '1', '', '2026-11-26 10:00:00')"
            )
        )
    old.dispose()
    archive = tmp_path / "old.tar.gz"
    made = source.test_cli_runner().invoke(args=["backup", "create", str(archive)])
    assert made.exit_code == 0, made.output
    assert f"schema revision:  {OLDER}" in made.output

    live_url = new_database("live")
    live = make_site(live_url, "live", migrate=True)
    agency_factory(live)(slug="live-data")
    held = create_engine(live_url)
    try:
        conn = held.connect()  # a connection the running app holds open
        assert slugs(conn) == ["live-data"]
        result = live.test_cli_runner().invoke(args=["backup", "restore", str(archive), "--yes"])
        assert result.exit_code == 0, result.output
        assert slugs(conn) == ["from-backup"]
        conn.close()
    finally:
        held.dispose()
    assert f"Its schema ({OLDER}) is older than this code's" in result.output
    assert "run `flask --app wsgi db upgrade` now" in result.output
    assert revisions_of(live_url) == {OLDER}

    with inside(live):
        upgrade(directory=str(MIGRATIONS_DIR))
    assert revisions_of(live_url) == set(backup.heads())
    restarted = make_site(live_url, "live")
    with inside(restarted):
        assert db.session.scalars(select(Agency.slug)).all() == ["from-backup"]
        # Rows of this code's audit log could not go into the older schema: none was tried.
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    page = restarted.test_client().get("/signup/from-backup")
    assert page.status_code == 200
