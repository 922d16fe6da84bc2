"""Ids are never handed out twice, so a deleted person's audit trail stays theirs (feat B5)."""

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate.cli import db as migrate_cli
from sqlalchemy import Integer, select

from matcher import create_app
from matcher.extensions import db
from matcher.models import Agency, User, Volunteer, utcnow
from matcher.models.base import Base
from tests.conftest import PASSWORD, app_test_config, create_database, inside, login
from tests.forms import signup_form


@pytest.fixture
def migrated_app(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on a database built by `flask db upgrade`, as in production."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    else:
        url = create_database(request.getfixturevalue("postgres_server_url"), "matcher_b5")
    app = create_app(app_test_config(url))
    result = app.test_cli_runner().invoke(migrate_cli, ["upgrade"])
    assert result.exit_code == 0, result.output
    yield app
    with inside(app):
        db.session.remove()
        db.engine.dispose()


def _sign_up(app: Flask, email: str) -> int:
    response = app.test_client().post("/signup/awo-koeln", data=signup_form(email=email))
    assert response.status_code == 302
    with inside(app):
        volunteer_id = db.session.scalar(select(Volunteer.id).where(Volunteer.email == email))
    assert volunteer_id is not None
    return volunteer_id


def test_feat_b5_a_purged_sign_up_passes_neither_its_id_nor_its_audit_trail_on(
    migrated_app: Flask,
) -> None:
    app = migrated_app
    with inside(app):
        admin = User(email="admin@example.org", role="admin")
        admin.set_password(PASSWORD)
        db.session.add_all([Agency(slug="awo-koeln", name="AWO Köln", city="Köln"), admin])
        db.session.commit()
    first = _sign_up(app, "unconf@example.org")
    with inside(app):
        volunteer = db.session.get(Volunteer, first)
        assert volunteer is not None
        volunteer.created_at = utcnow() - timedelta(days=30)
        db.session.commit()
    purged = app.test_cli_runner().invoke(args=["gdpr", "purge", "--unconfirmed-days", "14"])
    assert purged.exit_code == 0 and "1 unconfirmed sign-ups" in purged.output
    with inside(app):
        assert db.session.get(Volunteer, first) is None

    second = _sign_up(app, "gisela@example.org")
    assert second > first

    client = app.test_client()
    login(client, "admin@example.org")
    response = client.post(f"/admin/privacy/volunteer/{second}/data.json")
    assert response.status_code == 200
    log = [event["action"] for event in json.loads(response.data)["processing_log"]]
    assert log == ["volunteer.signup"]  # the first person's sign-up and purge are not hers


def test_every_table_with_an_integer_id_never_reuses_ids_on_sqlite() -> None:
    for table in Base.metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) == 1 and isinstance(key[0].type, Integer):
            assert table.dialect_options["sqlite"]["autoincrement"], table.name
