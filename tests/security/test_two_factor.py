"""Two-factor sign-in for staff: enrolment, the second step, codes once, recovery, reset, rules."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import Agency, AuditEvent, RecoveryCode, SecondFactor, User
from matcher.services.platform import second_factor
from tests.conftest import inside, login
from tests.security.two_factor import (
    code_now,
    enrol,
    password_step,
    shown_recovery_codes,
    shown_secret,
    sign_in,
    wrong_code,
)


def _actions(app: Flask, user: User) -> list[str]:
    with inside(app):
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "user", AuditEvent.object_id == user.id)
                .order_by(AuditEvent.id)
            )
        )


def _count(app: Flask, model: Any, user: User) -> int:
    with inside(app):
        return int(
            db.session.scalar(
                select(func.count()).select_from(model).where(model.user_id == user.id)
            )
            or 0
        )


def test_enrolment_is_confirmed_by_a_first_code_and_shows_recovery_codes_once(
    app: Flask, logged_in: Callable[..., FlaskClient], make_user: Callable[..., User],
    make_agency: Callable[..., Agency],
) -> None:  # fmt: skip
    user = make_user("coordinator", make_agency())
    client, elsewhere = logged_in(user=user), logged_in(user=user)
    page = client.get("/account/two-factor")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # The QR code is inline SVG drawn here: no image from another host, no script.
    assert "<svg" in html and "<path" in html and "<script>" not in html
    assert "http" not in html.split('class="qr"', 1)[1].split("</div>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )
    secret = shown_secret(html)
    assert len(secret) == 32
    # The same secret until it is confirmed (a reload does not change what was scanned).
    assert shown_secret(client.get("/account/two-factor").get_data(as_text=True)) == secret

    wrong = client.post("/account/two-factor", data={"code": wrong_code(secret)})
    assert wrong.status_code == 400
    assert "This code is wrong" in wrong.get_data(as_text=True) or "Code ist falsch" in (
        wrong.get_data(as_text=True)
    )
    assert _count(app, SecondFactor, user) == 0  # nothing changes before a valid code
    assert client.get("/volunteers").status_code == 200

    done = client.post("/account/two-factor", data={"code": code_now(secret)})
    assert done.status_code == 200
    codes = shown_recovery_codes(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    with inside(app):
        factor = db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))
        assert factor is not None and secret not in factor.secret  # encrypted at rest
        digests = set(db.session.scalars(select(RecoveryCode.digest)))
        assert len(digests) == 10 and not digests & set(codes)  # stored as digests
    assert "user.two_factor_enrol" in _actions(app, user)
    # This session goes on; every other session of the user has ended.
    assert client.get("/volunteers").status_code == 200
    assert "/login" in elsewhere.get("/volunteers").headers["Location"]
    # Shown once: the page now says it is on, with no codes and no secret.
    again = client.get("/account/two-factor").get_data(as_text=True)
    assert codes[0] not in again and "totp-secret" not in again and "10" in again


def test_the_password_alone_signs_nobody_in_and_the_code_does(
    app: Flask, make_user: Callable[..., User], make_agency: Callable[..., Agency]
) -> None:
    user = make_user("coordinator", make_agency())
    secret, _ = enrol(app, user)
    client = app.test_client()
    password_step(client, user)
    with client.session_transaction() as s:
        assert "_user_id" not in s  # half signed in: nobody is logged in
    for path in ("/dashboard", "/volunteers", "/password", "/account/two-factor"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/login/code"), path
    response = client.post("/login/code?next=/volunteers", data={"code": code_now(secret)})
    assert response.status_code == 302
    assert client.get("/volunteers").status_code == 200


def test_a_wrong_code_fails_and_is_audited_without_the_code(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user("admin")
    secret, _ = enrol(app, user)
    client = app.test_client()
    bad = wrong_code(secret)
    response = sign_in(client, user, bad)
    assert response.status_code == 401
    assert client.get("/admin/").headers["Location"].endswith("/login/code")
    assert _actions(app, user).count("user.two_factor_failed") == 1  # kept despite the 401
    with inside(app):
        rows = db.session.execute(select(AuditEvent.__table__)).all()
        assert not any(bad in repr(row) or secret in repr(row) for row in rows)
    # The right code still works afterwards.
    assert client.post("/login/code", data={"code": code_now(secret)}).status_code == 302


def test_each_code_counts_once(app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user("admin")
    secret, _ = enrol(app, user)
    code = code_now(secret)
    first = app.test_client()
    assert sign_in(first, user, code).status_code == 302
    assert first.get("/admin/").status_code == 200
    replay = app.test_client()  # someone who saw the code, within its 30 seconds
    assert sign_in(replay, user, code).status_code == 401
    assert replay.get("/admin/").status_code == 302


def test_a_clock_one_step_off_is_accepted_two_are_not_and_no_code_counts_twice(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user("admin")
    server = datetime(2026, 11, 29, 12, 0, 10, tzinfo=UTC)
    secret, _ = enrol(app, user, when=server - timedelta(hours=1))
    totp = pyotp.TOTP(secret)

    def phone(steps: int) -> str:  # the code of a phone whose clock is `steps` steps off
        return totp.at(server + timedelta(seconds=30 * steps))

    with inside(app):
        row = db.session.get(User, user.id)
        assert row is not None
        assert second_factor.check(row, phone(-2), when=server) is None
        assert second_factor.check(row, phone(2), when=server) is None
        assert second_factor.check(row, phone(-1), when=server) == "code"
        # The same code again, within its window: refused (a replay).
        for later in (0, 15, 30):
            assert (
                second_factor.check(row, phone(-1), when=server + timedelta(seconds=later)) is None
            )
        assert second_factor.check(row, phone(1), when=server) == "code"
        # A step before the last accepted one, though within the drift: refused.
        assert second_factor.check(row, phone(0), when=server) is None
        assert second_factor.check(row, phone(1), when=server + timedelta(seconds=30)) is None
        # The next step's code, half a minute later: accepted.
        assert second_factor.check(row, phone(2), when=server + timedelta(seconds=30)) == "code"


def test_a_recovery_code_works_once(app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user("admin")
    _, codes = enrol(app, user)
    client = app.test_client()
    # Typed upper-case and without its dashes, as people read codes off paper.
    typed = codes[3].replace("-", " ").upper()
    response = sign_in(client, user, typed)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert "user.two_factor_recovery" in _actions(app, user)
    with inside(app):
        row = db.session.get(User, user.id)
        assert row is not None and second_factor.recovery_codes_left(row) == 9
    other = app.test_client()
    assert sign_in(other, user, codes[3]).status_code == 401
    assert sign_in(app.test_client(), user, codes[4]).status_code == 302


def test_an_admin_resets_a_second_factor_and_it_is_audited(
    app: Flask, logged_in: Callable[..., FlaskClient], make_user: Callable[..., User],
    make_agency: Callable[..., Agency],
) -> None:  # fmt: skip
    user = make_user("coordinator", make_agency())
    secret, _ = enrol(app, user)
    user_client = app.test_client()
    assert sign_in(user_client, user, code_now(secret)).status_code == 302
    admin = make_user("admin")
    admin_client = logged_in(user=admin)
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{user.id}/two-factor/reset" in page
    assert f"/admin/users/{admin.id}/two-factor/reset" not in page  # no factor, no button
    response = admin_client.post(f"/admin/users/{user.id}/two-factor/reset")
    assert response.status_code == 302
    assert _count(app, SecondFactor, user) == 0 and _count(app, RecoveryCode, user) == 0
    with inside(app):
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "user.two_factor_reset")
        )
        assert event is not None and event.actor_id == admin.id and event.object_id == user.id
    # The user's sessions ended; the password alone signs them in again (not required here).
    assert "/login" in user_client.get("/volunteers").headers["Location"]
    assert login(app.test_client(), user).headers["Location"].endswith("/dashboard")
    # A coordinator cannot reset anybody's.
    enrol(app, admin)
    coordinator = logged_in(user=user)
    assert coordinator.post(f"/admin/users/{admin.id}/two-factor/reset").status_code == 403
    assert _count(app, SecondFactor, admin) == 1


def test_admins_must_enrol_when_it_is_mandatory(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    app = make_app(TOTP_REQUIRED_FOR_ADMINS=True)
    admin = make_user("admin")
    client = app.test_client()
    response = login(client, admin)
    assert response.headers["Location"].endswith("/account/two-factor")
    for path in ("/admin/", "/admin/users", "/volunteers", "/password"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/account/two-factor"), path
    assert client.post("/admin/users", data={"email": "x@example.org"}).status_code == 302
    secret = shown_secret(client.get("/account/two-factor").get_data(as_text=True))
    assert client.post("/account/two-factor", data={"code": code_now(secret)}).status_code == 200
    assert client.get("/admin/users").status_code == 200


def test_each_agency_decides_for_its_coordinators(
    app: Flask, logged_in: Callable[..., FlaskClient], make_user: Callable[..., User],
    make_agency: Callable[..., Agency],
) -> None:  # fmt: skip
    strict, relaxed = make_agency(), make_agency()
    strict_coord = logged_in("coordinator", strict)
    relaxed_coord = logged_in("coordinator", relaxed)
    assert strict_coord.get("/volunteers").status_code == 200
    admin = logged_in("admin")
    settings = admin.get(f"/admin/agencies/{strict.id}").get_data(as_text=True)
    assert 'name="two_factor_required"' in settings
    form = {"name": strict.name, "umbrella": "other", "checkin_interval_weeks": "10",
            "trial_weeks": "4", "retention_months": "24", "weight_language": "4",
            "weight_distance": "3", "weight_availability": "2", "weight_topics": "1",
            "weight_waiting": "1", "two_factor_required": "y", "submit": "1"}  # fmt: skip
    assert admin.post(f"/admin/agencies/{strict.id}", data=form).status_code == 302
    with inside(app):
        assert db.session.get(Agency, strict.id).two_factor_required is True  # type: ignore[union-attr]
    # The coordinator already signed in is sent to enrolment at the next page.
    response = strict_coord.get("/volunteers")
    assert response.headers["Location"].endswith("/account/two-factor")
    assert relaxed_coord.get("/volunteers").status_code == 200
    # And so is one signing in afresh; the other agency's coordinators are not.
    fresh = app.test_client()
    assert (
        login(fresh, make_user("coordinator", strict))
        .headers["Location"]
        .endswith("/account/two-factor")
    )
    assert (
        login(app.test_client(), make_user("coordinator", relaxed))
        .headers["Location"]
        .endswith("/dashboard")
    )


def test_the_second_step_is_rate_limited_per_account(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    app = make_app(RATELIMIT_ENABLED=True, TOTP_LIMIT="3 per minute")
    user = make_user("admin")
    secret, _ = enrol(app, user)
    client = app.test_client()
    password_step(client, user)
    for _ in range(3):
        assert client.post("/login/code", data={"code": wrong_code(secret)}).status_code == 401
    assert client.post("/login/code", data={"code": code_now(secret)}).status_code == 429


def test_an_expired_second_step_starts_over(app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user("admin")
    secret, _ = enrol(app, user)
    client = app.test_client()
    password_step(client, user)
    with client.session_transaction() as s:
        s["two_factor_pending"] = {**s["two_factor_pending"], "until": 1}  # long past
    response = client.post("/login/code", data={"code": code_now(secret)})
    assert response.headers["Location"].endswith("/login")
    assert client.get("/admin/").headers["Location"].startswith("/login")


def test_the_command_line_resets_a_lost_factor(app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user("admin", email="boss@example.org")
    enrol(app, user)
    result = app.test_cli_runner().invoke(args=["reset-two-factor", "Boss@example.org"])
    assert result.exit_code == 0, result.output
    assert _count(app, SecondFactor, user) == 0
    assert "user.two_factor_reset" in _actions(app, user)
    unknown = app.test_cli_runner().invoke(args=["reset-two-factor", "nobody@example.org"])
    assert unknown.exit_code != 0
