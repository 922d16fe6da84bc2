"""The `flask` commands: agencies, users, demo data."""

from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import Agency, ConsentRecord, Newcomer, User, Volunteer
from tests.conftest import inside, login


def test_create_agency_and_coordinator_who_can_log_in(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["create-agency", "awo-koeln", "AWO Köln", "--city", "Köln"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["create-user", "Coord@Example.org", "--role", "coordinator", "--agency",
              "awo-koeln", "--password", "long enough password"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with inside(app):
        user = db.session.scalar(select(User).where(User.email == "coord@example.org"))
        assert user is not None and user.agency is not None and user.agency.slug == "awo-koeln"
    response = login(app.test_client(), "coord@example.org", "long enough password")
    assert response.status_code == 302


def test_create_user_prompts_hidden_and_confirmed(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["create-user", "admin@example.org", "--role", "admin"],
        input="long enough password\nlong enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "long enough password" not in result.output  # never echoed
    mismatch = runner.invoke(
        args=["create-user", "other@example.org", "--role", "admin"],
        input="long enough password\ndifferent password!!\nlong enough password\nlong enough password\n",
    )
    assert mismatch.exit_code == 0
    assert "do not match" in mismatch.output.lower()


def test_create_user_refuses_bad_requests(app: Flask, runner: FlaskCliRunner) -> None:
    runner.invoke(args=["create-agency", "a", "A"])
    cases = [
        ["create-user", "x@example.org", "--role", "coordinator", "--password", "long enough pw"],
        ["create-user", "x@example.org", "--role", "coordinator", "--agency", "nope",
         "--password", "long enough pw"],
        ["create-user", "x@example.org", "--role", "admin", "--password", "short"],
        ["create-user", "x@example.org", "--role", "boss", "--password", "long enough pw"],
    ]  # fmt: skip
    for args in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        assert "Traceback" not in result.output
    ok = runner.invoke(
        args=["create-user", "x@example.org", "--role", "admin", "--password", "long enough pw"]
    )
    assert ok.exit_code == 0
    dup = runner.invoke(
        args=["create-user", "X@example.org", "--role", "admin", "--password", "long enough pw"]
    )
    assert dup.exit_code != 0 and "exists" in dup.output


def test_create_agency_refuses_duplicates(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["create-agency", "a", "A"]).exit_code == 0
    result = runner.invoke(args=["create-agency", "a", "A again"])
    assert result.exit_code != 0 and "exists" in result.output


def test_demo_data_is_realistic_deterministic_and_loaded_once(
    app: Flask, runner: FlaskCliRunner
) -> None:
    args = [
        "demo-data",
        "--agency",
        "koeln",
        "--volunteers",
        "60",
        "--newcomers",
        "50",
        "--seed",
        "7",
    ]
    assert runner.invoke(args=args).exit_code == 0
    with inside(app):
        agency = db.session.scalar(select(Agency).where(Agency.slug == "koeln"))
        assert agency is not None
        volunteers = db.session.scalars(select(Volunteer)).all()
        newcomers = db.session.scalars(select(Newcomer)).all()
        assert len(volunteers) == 60 and len(newcomers) == 50
        assert all(v.postcode.startswith(("50", "51")) and v.lat and v.lon for v in volunteers)
        assert all(50.8 < n.lat < 51.1 and 6.7 < n.lon < 7.2 for n in newcomers)  # Cologne
        german = sum(any(lang.code == "de" for lang in v.languages) for v in volunteers)
        assert german == 60
        first = {n.languages[0].code for n in newcomers} | {
            lang.code for n in newcomers for lang in n.languages
        }
        assert {"uk", "ar"} <= first
        consents = db.session.scalar(select(func.count()).select_from(ConsentRecord))
        assert consents == 110
        snapshot = sorted((v.email, v.postcode, v.slots) for v in volunteers)
    again = runner.invoke(args=args)
    assert again.exit_code == 0 and "already" in again.output
    with inside(app):
        assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 60
    # Same seed, another agency: the same people.
    assert runner.invoke(args=[*args[:1], "--agency", "koeln2", *args[3:]]).exit_code == 0
    with inside(app):
        other = db.session.scalars(
            select(Volunteer).join(Agency).where(Agency.slug == "koeln2")
        ).all()
        assert sorted((v.email, v.postcode, v.slots) for v in other) == snapshot


def test_demo_logins_print_fresh_passwords_that_work(app: Flask, runner: FlaskCliRunner) -> None:
    runner.invoke(args=["demo-data", "--volunteers", "3", "--newcomers", "3"])
    first = runner.invoke(args=["demo-logins"])
    second = runner.invoke(args=["demo-logins"])
    assert first.exit_code == second.exit_code == 0
    lines = [line.split() for line in second.output.splitlines()[1:]]
    assert {line[0] for line in lines} == {"admin", "coordinator"}
    assert first.output != second.output
    for _role, email, password in lines:
        assert login(app.test_client(), email, password).status_code == 302
    old = first.output.splitlines()[1].split()
    assert login(app.test_client(), old[1], old[2]).status_code == 401


def test_a_slug_that_collides_with_a_sign_up_path_is_refused(
    app: Flask, runner: FlaskCliRunner, make_user: Any
) -> None:
    result = runner.invoke(args=["create-agency", "confirm", "Confirm e.V."])
    assert result.exit_code != 0 and "reserved" in result.output
    client = app.test_client()
    login(client, make_user("admin"))
    response = client.post(
        "/admin/agencies", data={"slug": "confirm", "name": "X", "umbrella": "awo"}
    )
    assert response.status_code == 400
    assert "reserviert" in response.get_data(as_text=True)
