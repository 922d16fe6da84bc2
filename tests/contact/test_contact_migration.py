"""Migration d7c2e5a8f1b3 on a database that holds newcomers: they stay valid, their letters'
language is the best language they speak that letters exist in, and the rules hold."""

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

BEFORE, AFTER = "d7a3f19c2e58", "d7c2e5a8f1b3"  # consent per purpose, then contact
NOW = "'2026-11-26 10:00:00'"


@pytest.fixture
def old_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Flask, Engine]]:
    with database_at(BEFORE, backend, tmp_path, request, "matcher_contact") as found:
        yield found


def test_existing_newcomers_stay_valid_and_get_their_letters_language(
    old_database: tuple[Flask, Engine],
) -> None:
    app, engine = old_database
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agencies (id, slug, name, umbrella, city, privacy_contact,"
                " max_distance_km, weights, retention_months, checkin_interval_weeks, trial_weeks,"
                " privacy_notice_version, privacy_notice_text, created_at) VALUES (1, 'a', 'A',"
                f" 'awo', '', '', 15, '{{}}', 24, 10, 4, '1', '', {NOW})"
            )
        )
        languages = {1: [("de", "basic"), ("ti", "native")], 2: [("ta", "native")],
                     3: [("en", "good"), ("fa", "good")]}  # fmt: skip
        for newcomer_id, spoken in languages.items():
            conn.execute(
                text(
                    "INSERT INTO newcomers (id, agency_id, first_name, contact_note, postcode,"
                    " age_band, slots, topics, minors, status, waiting_since, created_at,"
                    f" updated_at) VALUES ({newcomer_id}, 1, 'N', '', '50823', '26_35', 1, '[]',"
                    f" false, 'waiting', '2026-01-01', {NOW}, {NOW})"
                )
            )
            for code, level in spoken:
                conn.execute(
                    text("INSERT INTO newcomer_languages VALUES (:id, :code, :level)"),
                    {"id": newcomer_id, "code": code, "level": level},
                )
    with inside(app):
        upgrade(directory=str(MIGRATIONS_DIR), revision=AFTER)
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT id, phone, contact_channel, social_worker_contact, interpreter_needed,"
                " interpreter_language, correspondence_language FROM newcomers ORDER BY id"
            )
        ).all()
    # Native Tigrinya before basic German; none of hers: German; equal levels: list order.
    assert [tuple(r) for r in rows] == [
        (1, "", None, "", False, None, "ti"),
        (2, "", None, "", False, None, "de"),
        (3, "", None, "", False, None, "en"),
    ]
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys=ON"))
        for values in ("contact_channel = 'sms'", "interpreter_needed = true",
                       "correspondence_language = 'xx'", "contact_channel = 'fax'",
                       "contact_channel = 'social_worker'", "interpreter_language = 'ti'"):  # fmt: skip
            savepoint = conn.begin_nested() if conn.in_transaction() else conn.begin()
            with pytest.raises(IntegrityError):
                conn.execute(text(f"UPDATE newcomers SET {values} WHERE id = 1"))
            savepoint.rollback()
        conn.execute(
            text(
                "UPDATE newcomers SET phone = '+4917612345678', contact_channel = 'sms' WHERE id = 1"
            )
        )
        conn.commit()
        # Her languages survived the change of the table (no cascade).
        assert conn.execute(text("SELECT count(*) FROM newcomer_languages")).scalar() == 5
    with inside(app):
        downgrade(directory=str(MIGRATIONS_DIR), revision=BEFORE)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM newcomers")).scalar() == 3
        assert conn.execute(text("SELECT count(*) FROM newcomer_languages")).scalar() == 5
