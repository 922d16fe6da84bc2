"""L11 (pen test): personal data left on disk. Abandoned import uploads were kept for ever,
the SQLite file was world-readable, and erased values stayed in SQLite's files (the WAL and
free pages). Each test fails on commit 8ed074e."""

import os
import stat
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from matcher import create_app
from matcher.extensions import db
from matcher.models import Base, OutboxMessage, Volunteer, utcnow
from matcher.services.lists import imports
from matcher.services.people import erasure
from tests.conftest import (
    agency_factory,
    app_test_config,
    inside,
    jobs_url,
    login,
    user_factory,
    volunteer_factory,
)

CSV = b"Vorname;Nachname;E-Mail\nAnna;Beispiel;anna@example.org\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a SQLite file of its own, as an installation has one (whatever backend the
    rest of the suite runs on: the files on disk are SQLite's matter)."""
    app = create_app(
        app_test_config(
            f"sqlite:///{tmp_path / 'db' / 'matcher.sqlite'}",
            JOBS_URL=jobs_url(tmp_path),
            IMPORT_STASH_DIR=str(tmp_path / "imports"),
        )
    ) if (tmp_path / "db").mkdir() is None else None  # fmt: skip
    assert app is not None
    with app.app_context():
        Base.metadata.create_all(db.engine)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_L11_a_new_sqlite_database_and_its_wal_are_readable_by_their_owner_only(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    agency_factory(sqlite_app)(slug="koeln")  # a write: the WAL exists now
    for name in ("matcher.sqlite", "matcher.sqlite-wal"):
        path = tmp_path / "db" / name
        assert path.exists() and _mode(path) == 0o600, (name, oct(_mode(path)))


def test_L11_abandoned_uploads_are_removed_by_the_daily_purge_and_kept_private(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    agency = agency_factory(sqlite_app)(slug="koeln")
    admin = user_factory(sqlite_app)("admin")
    with inside(sqlite_app):
        old = imports.stash("alt.csv", CSV, "volunteers", agency, admin)
        new = imports.stash("neu.csv", CSV, "volunteers", agency, admin)
    folder = tmp_path / "imports"
    for path in folder.iterdir():
        assert _mode(path) == 0o600, path.name
    two_days_ago = time.time() - 2 * 24 * 3600
    for suffix in (".bin", ".json"):
        os.utime(folder / f"{old}{suffix}", (two_days_ago, two_days_ago))

    result = sqlite_app.test_cli_runner().invoke(args=["gdpr", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 abandoned uploads" in result.output
    assert sorted(p.name for p in folder.iterdir()) == [f"{new}.bin", f"{new}.json"]


def _files(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted((tmp_path / "db").iterdir()))


def test_L11_an_erased_volunteer_is_gone_from_the_sqlite_files(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    agency = agency_factory(sqlite_app)(slug="koeln")
    marker = "Quirinella"
    volunteer = volunteer_factory(sqlite_app)(
        agency, first_name=marker, last_name="Zwanzigacker", email="quirinella@example.org"
    )
    admin = user_factory(sqlite_app)("admin")
    # Her name is in the files now (else this test could not fail).
    assert marker.encode() in _files(tmp_path)

    client: FlaskClient = sqlite_app.test_client()
    login(client, admin)
    response = client.post(f"/admin/privacy/volunteer/{volunteer.id}/erase", data={"confirm": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with inside(sqlite_app):
        erased: Any = db.session.get(Volunteer, volunteer.id)
        assert erased is not None and erased.anonymised_at is not None

    files = _files(tmp_path)
    for value in (marker, "Zwanzigacker", "quirinella@example.org", marker.lower()):
        assert value.encode() not in files, value
    assert (tmp_path / "db" / "matcher.sqlite-wal").stat().st_size == 0


def test_L11_erasure_in_the_service_layer_checkpoints_too(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    """The CLI and the retention purge erase through the service; the checkpoint follows
    their commit as it follows a request's."""
    agency = agency_factory(sqlite_app)(slug="koeln")
    volunteer = volunteer_factory(sqlite_app)(agency, first_name="Ottilinde")
    with inside(sqlite_app):
        person = db.session.get(Volunteer, volunteer.id)
        assert person is not None
        erasure.erase_person(person, None, on=person.created_at.date())
        db.session.commit()
    assert b"Ottilinde" not in _files(tmp_path)


def test_L11_sent_mails_older_than_the_setting_are_purged_and_unsent_ones_stay(
    app: Flask, runner: FlaskCliRunner
) -> None:
    """Sent mails hold names and sign-in links. `outbox.purge_sent` was written but never
    called (style finding 10), so on 8ed074e they stayed for ever: `gdpr purge` now deletes
    them after `SENT_MAIL_RETENTION_DAYS`, on both databases."""
    app.config["SENT_MAIL_RETENTION_DAYS"] = 10  # not the default (30): the setting counts
    now = utcnow()
    with inside(app):
        for status, age in (("sent", 12), ("failed", 12), ("sent", 8), ("pending", 40)):
            db.session.add(OutboxMessage(kind="magic_link", to_address="a@example.org",
                                         subject="Link", body="Hallo Anna, https://…",
                                         status=status, created_at=now - timedelta(days=age)))  # fmt: skip
        db.session.commit()
    result = runner.invoke(args=["gdpr", "purge"])
    assert result.exit_code == 0, result.output
    assert "2 old mails" in result.output
    with inside(app):
        left = sorted(
            (m.status, (now - m.created_at).days) for m in db.session.scalars(select(OutboxMessage))
        )
    assert left == [("pending", 40), ("sent", 8)]  # a mail still to go is never deleted
    assert "0 old mails" in runner.invoke(args=["gdpr", "purge"]).output
