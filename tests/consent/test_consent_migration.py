"""The consent migration keeps existing rows valid, and the migrated database keeps the rules."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from matcher.database import MIGRATIONS_DIR
from tests.conftest import inside
from tests.migrating import database_at

BEFORE = "d7a4f2c9e813"  # the documents, just before
REVISION = "d7a3f19c2e58"
NOW = "'2026-11-26 10:00:00'"


@pytest.fixture
def old_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Flask, Engine]]:
    """An app and an engine on a database migrated up to the revision before consents."""
    with database_at(BEFORE, backend, tmp_path, request, "matcher_consent") as found:
        yield found


CONSENT = (
    "INSERT INTO consent_records (id, agency_id, newcomer_id, purpose, notice_version, language,"
    " given_at, withdrawn_at, channel, taken_by_id{extra}) VALUES ({id}, 1, 1, '{purpose}', '1',"
    " 'ar', '{given}', {withdrawn}, '{channel}', 1{values})"
)


def _consent(id_: int, purpose: str = "matching", given: str = "2026-01-01 10:00:00",
             withdrawn: str = "NULL", channel: str = "paper", **more: str) -> str:  # fmt: skip
    extra = "".join(f", {k}" for k in more)
    values = "".join(f", {v}" for v in more.values())
    return CONSENT.format(id=id_, purpose=purpose, given=given, withdrawn=withdrawn,
                          channel=channel, extra=extra, values=values)  # fmt: skip


def _seed(conn: Connection) -> None:
    conn.execute(
        text(
            "INSERT INTO agencies (id, slug, name, umbrella, city, privacy_contact, max_distance_km,"
            " weights, retention_months, checkin_interval_weeks, trial_weeks, privacy_notice_version,"
            f" privacy_notice_text, created_at) VALUES (1, 'a', 'A', 'awo', '', '', 15, '{{}}', 24,"
            f" 10, 4, '1', '', {NOW})"
        )
    )
    conn.execute(
        text(
            "INSERT INTO users (id, email, name, password_hash, active, role, agency_id,"
            f" session_version, created_at) VALUES (1, 'c@x.org', 'C', 'x', true, 'coordinator',"
            f" 1, 1, {NOW})"
        )
    )
    conn.execute(
        text(
            "INSERT INTO newcomers (id, agency_id, first_name, contact_note, postcode, age_band,"
            " slots, topics, minors, status, waiting_since, created_at, updated_at, search_key)"
            f" VALUES (1, 1, 'N', '', '50823', '26_35', 1, '[]', false, 'waiting', '2026-01-01',"
            f" {NOW}, {NOW}, 'n')"
        )
    )
    # Before this revision nothing kept two consents in force for one purpose apart.
    conn.execute(text(_consent(1)))
    conn.execute(text(_consent(2, given="2026-03-01 10:00:00")))
    conn.execute(text(_consent(3, "contact_sharing", withdrawn="'2026-02-01 10:00:00'")))
    conn.execute(text(_consent(4, "contact_sharing", channel="in_person")))


def _violates(conn: Connection, sql: str) -> bool:
    savepoint = conn.begin_nested()
    try:
        conn.execute(text(sql))
    except IntegrityError:
        savepoint.rollback()
        return True
    savepoint.rollback()
    return False


def test_existing_consents_stay_valid_and_the_rules_hold_after_the_upgrade(
    old_database: tuple[Flask, Engine],
) -> None:
    app, engine = old_database
    with engine.begin() as conn:
        _seed(conn)
    with inside(app):
        upgrade(directory=str(MIGRATIONS_DIR), revision=REVISION)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, withdrawn_at, channel, interpreter_role FROM consent_records"
                " ORDER BY id"
            )  # fmt: skip
        ).all()
        assert [r.id for r in rows] == [1, 2, 3, 4]
        # The older of two in force counts as withdrawn when the newer one was given.
        assert str(rows[0].withdrawn_at).startswith("2026-03-01 10:00:00")
        assert rows[1].withdrawn_at is None and rows[3].withdrawn_at is None
        assert str(rows[2].withdrawn_at).startswith("2026-02-01")
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys=ON"))
        interpreter = {"interpreter_role": "'professional'"}
        assert not _violates(conn, _consent(5, "contact_sharing", withdrawn=f"{NOW}",
                                            channel="interpreter", **interpreter))  # fmt: skip
        assert _violates(conn, _consent(5, withdrawn=f"{NOW}", channel="interpreter"))
        assert _violates(conn, _consent(5, withdrawn=f"{NOW}", **interpreter))
        assert _violates(conn, _consent(5, withdrawn=f"{NOW}", channel="interpreter",
                                        interpreter_role="'cousin'"))  # fmt: skip
        assert _violates(conn, _consent(5, withdrawn="NULL"))  # a second in force
        assert _violates(conn, _consent(5, withdrawn="NULL", withdrawn_by_id="1"))
        assert _violates(conn, _consent(5, withdrawn=f"{NOW}", withdrawn_by_id="999"))
        conn.execute(text("UPDATE matches SET attention = NULL"))  # the column exists
        conn.rollback()
    with engine.begin() as conn:
        conn.execute(text(_consent(6, "contact_sharing", withdrawn=f"{NOW}",
                                   channel="interpreter", **interpreter)))  # fmt: skip
    with inside(app):
        downgrade(directory=str(MIGRATIONS_DIR), revision=BEFORE)
    with engine.connect() as conn:
        channels = conn.execute(text("SELECT channel FROM consent_records ORDER BY id")).all()
        assert [c.channel for c in channels] == ["paper", "paper", "paper", "in_person",
                                                 "in_person"]  # fmt: skip
