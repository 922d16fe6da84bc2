"""Migrations run on databases that already hold people: nothing is lost, keys are filled."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, Engine, text

from matcher.database import MIGRATIONS_DIR
from matcher.models.search import search_key
from tests.conftest import inside
from tests.migrating import database_at

#: The head before search keys and never-reused ids.
BEFORE = "5c3e9a1b7d20"
NOW = "'2026-11-26 10:00:00'"


@pytest.fixture
def old_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Flask, Engine]]:
    """An app and an engine on a database migrated up to `BEFORE`."""
    with database_at(BEFORE, backend, tmp_path, request, "matcher_old") as found:
        yield found


def _insert_people(conn: Connection) -> None:
    """Two volunteers (one erased) and a newcomer, with languages, consents and a match."""
    conn.execute(
        text(
            "INSERT INTO agencies (id, slug, name, umbrella, city, privacy_contact, max_distance_km,"
            " weights, retention_months, checkin_interval_weeks, trial_weeks, privacy_notice_version,"
            f" privacy_notice_text, created_at) VALUES (1, 'a', 'A', 'awo', '', '', 15, '{{}}', 24,"
            f" 10, 4, '1', '', {NOW})"
        )
    )
    for id_, first, last, email, erased in [
        (1, "Günther", "Öztürk-Meißner", "gm@example.org", "NULL"),
        (2, "", "", "erased-2@invalid", NOW),
    ]:
        conn.execute(
            text(
                "INSERT INTO volunteers (id, agency_id, first_name, last_name, email, phone,"
                " postcode, age_band, slots, topics, capacity, status, motivation,"
                " can_show_certificate, created_at, updated_at, anonymised_at) VALUES"
                f" ({id_}, 1, :first, :last, :email, '', '50823', '36_50', 1, '[]', 1, 'active',"
                f" '', false, {NOW}, {NOW}, {erased})"
            ),
            {"first": first, "last": last, "email": email},
        )
    conn.execute(
        text(
            "INSERT INTO newcomers (id, agency_id, first_name, contact_note, postcode, age_band,"
            " slots, topics, minors, status, waiting_since, created_at, updated_at) VALUES"
            f" (1, 1, 'ÜMRAN', '', '50823', '26_35', 1, '[]', false, 'matched', '2026-01-01',"
            f" {NOW}, {NOW})"
        )
    )
    conn.execute(text("INSERT INTO volunteer_languages VALUES (1, 'de', 'native')"))
    conn.execute(text("INSERT INTO newcomer_languages VALUES (1, 'ar', 'native')"))
    conn.execute(
        text(
            "INSERT INTO consent_records (agency_id, volunteer_id, purpose, notice_version,"
            f" language, channel, given_at) VALUES (1, 1, 'matching', '1', 'de', 'online', {NOW})"
        )
    )
    conn.execute(
        text(
            "INSERT INTO matches (id, agency_id, volunteer_id, newcomer_id, status, components,"
            f" reasons, proposed_at, reject_reason, version) VALUES (1, 1, 1, 1, 'active', '{{}}',"
            f" '[]', {NOW}, '', 1)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO check_ins (agency_id, match_id, due_on, note) VALUES (1, 1, '2026-12-24', '')"
        )
    )


TABLES = (
    "volunteers",
    "newcomers",
    "volunteer_languages",
    "newcomer_languages",
    "consent_records",
    "matches",
    "check_ins",
)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def test_upgrade_fills_the_search_keys_and_both_ways_keep_every_row(
    old_database: tuple[Flask, Engine],
) -> None:
    app, engine = old_database
    with engine.begin() as conn:
        _insert_people(conn)
    before = _counts(engine)
    assert all(before.values())
    with inside(app):
        upgrade(directory=str(MIGRATIONS_DIR))
    assert _counts(engine) == before
    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT id, search_key FROM volunteers")).all())
        newcomer_key = conn.execute(text("SELECT search_key FROM newcomers")).scalar_one()
    assert keys == {1: search_key("Günther", "Öztürk-Meißner", "gm@example.org"), 2: ""}
    assert keys[1] == "günther öztürk-meissner gm@example.org"
    assert newcomer_key == "ümran"
    with inside(app):
        downgrade(directory=str(MIGRATIONS_DIR), revision=BEFORE)
    assert _counts(engine) == before


def test_feat_b5_ids_deleted_before_the_upgrade_are_not_handed_out_again(
    backend: str, old_database: tuple[Flask, Engine]
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL's sequences never reuse an id; the migration changes nothing")
    app, engine = old_database
    with engine.begin() as conn:
        _insert_people(conn)
        # Volunteer 3 signed up and was purged: only the audit log still names the id.
        conn.execute(
            text(
                "INSERT INTO audit_events (at, action, object_type, object_id, agency_id) VALUES"
                f" ({NOW}, 'volunteer.purge_unconfirmed', 'volunteer', 3, 1)"
            )
        )
    with inside(app):
        upgrade(directory=str(MIGRATIONS_DIR))

    def sql_of(table: str) -> str:
        with engine.connect() as conn:
            return str(
                conn.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}
                ).scalar_one()
            )

    assert "AUTOINCREMENT" in sql_of("volunteers") and "AUTOINCREMENT" in sql_of("matches")
    with engine.begin() as conn:
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        conn.execute(
            text(
                "INSERT INTO volunteers (agency_id, first_name, last_name, email, phone, postcode,"
                " age_band, slots, topics, capacity, status, motivation, can_show_certificate,"
                f" created_at, updated_at) VALUES (1, 'G', 'G', 'g@example.org', '', '50823',"
                f" '36_50', 1, '[]', 1, 'applied', '', false, {NOW}, {NOW})"
            )
        )
        newest = conn.execute(text("SELECT max(id) FROM volunteers")).scalar_one()
    assert newest == 4
    with inside(app):
        downgrade(directory=str(MIGRATIONS_DIR), revision=BEFORE)
    assert "AUTOINCREMENT" not in sql_of("volunteers")
    assert _counts(engine)["matches"] == 1
