"""Issue 14: a staff member sees their active sessions and ends them; an admin ends any
user's; admins see each user's failed and successful sign-ins. Sessions and sign-ins are
rows on the server (`matcher.services.platform.staff_sessions`), on both backends."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import AuditEvent, SignIn, StaffSession, User, utcnow
from tests.conftest import PASSWORD, inside, login
from tests.security.two_factor import code_now, enrol, sign_in, wrong_code


def _browser(app: Flask, user: User, agent: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    assert login(client, user).status_code == 302
    assert client.get("/dashboard").status_code == 200
    return client


def _session_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="session-(\d+)"', html)]


def _csrf_free_post(client: FlaskClient, url: str) -> Any:
    return client.post(url, data={})


def test_a_staff_member_sees_their_sessions_and_ends_one_on_another_device(
    app: Flask, make_user: Callable[..., User], make_agency: Callable[..., Any]
) -> None:
    user = make_user("coordinator", make_agency())
    office = _browser(app, user, "Firefox im Büro")
    laptop = _browser(app, user, "Chromium auf dem Laptop")
    page = office.get("/account/sessions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Firefox im Büro" in html and "Chromium auf dem Laptop" in html
    assert html.count("diese Sitzung") == 1
    ids = _session_ids(html)
    assert len(ids) == 2
    with inside(app):
        laptop_id = db.session.scalar(
            select(StaffSession.id).where(StaffSession.agent == "Chromium auf dem Laptop")
        )
    assert laptop_id in ids
    answer = _csrf_free_post(office, f"/account/sessions/{laptop_id}/end")
    assert answer.status_code == 302
    # A double click ends nothing more and is no error.
    assert _csrf_free_post(office, f"/account/sessions/{laptop_id}/end").status_code == 302
    # The laptop is signed out at its next click; the office goes on.
    gone = laptop.get("/volunteers")
    assert gone.status_code == 302 and "/login" in gone.location
    assert office.get("/volunteers").status_code == 200
    html = office.get("/account/sessions").get_data(as_text=True)
    assert _session_ids(html) == [i for i in ids if i != laptop_id]
    with inside(app):
        row = db.session.get(StaffSession, laptop_id)
        assert row is not None and row.end_reason == "ended" and row.ended_by_id == user.id
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == user.id)
        ).all()
    assert "user.session_end" in actions


def test_ending_all_other_sessions_keeps_this_one(
    app: Flask, make_user: Callable[..., User], make_agency: Callable[..., Any]
) -> None:
    user = make_user("coordinator", make_agency())
    others = [_browser(app, user, f"Browser {n}") for n in range(3)]
    mine = _browser(app, user, "Mein Browser")
    assert _csrf_free_post(mine, "/account/sessions/end-others").status_code == 302
    for other in others:
        assert other.get("/dashboard").status_code == 302
    html = mine.get("/account/sessions").get_data(as_text=True)
    with inside(app):
        mine_id = db.session.scalar(
            select(StaffSession.id).where(StaffSession.agent == "Mein Browser")
        )
    assert _session_ids(html) == [mine_id]


def test_nobody_ends_someone_elses_session_from_their_own_page(
    app: Flask, make_user: Callable[..., User], make_agency: Callable[..., Any]
) -> None:
    agency = make_agency()
    victim = make_user("coordinator", agency)
    colleague = make_user("coordinator", agency)
    victims_browser = _browser(app, victim, "Opfer")
    attacker = _browser(app, colleague, "Kollegin")
    with inside(app):
        victim_session = db.session.scalar(
            select(StaffSession.id).where(StaffSession.user_id == victim.id)
        )
    answer = _csrf_free_post(attacker, f"/account/sessions/{victim_session}/end")
    assert answer.status_code == 404
    assert victims_browser.get("/dashboard").status_code == 200
    # Someone else's sessions are not listed either.
    assert "Opfer" not in attacker.get("/account/sessions").get_data(as_text=True)


def test_an_admin_sees_a_users_sessions_and_ends_one_or_all(
    app: Flask, make_user: Callable[..., User], make_agency: Callable[..., Any]
) -> None:
    coordinator = make_user("coordinator", make_agency())
    first = _browser(app, coordinator, "Erster Browser")
    second = _browser(app, coordinator, "Zweiter Browser")
    third = _browser(app, coordinator, "Dritter Browser")
    admin = _browser(app, make_user("admin"), "Admin")
    users = admin.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{coordinator.id}/access" in users
    page = admin.get(f"/admin/users/{coordinator.id}/access")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert all(b in html for b in ("Erster Browser", "Zweiter Browser", "Dritter Browser"))
    with inside(app):
        first_id = db.session.scalar(
            select(StaffSession.id).where(StaffSession.agent == "Erster Browser")
        )
    url = f"/admin/users/{coordinator.id}/sessions/{first_id}/end"
    assert _csrf_free_post(admin, url).status_code == 302
    assert first.get("/dashboard").status_code == 302
    assert second.get("/dashboard").status_code == 200
    end_all = f"/admin/users/{coordinator.id}/sessions/end-all"
    assert _csrf_free_post(admin, end_all).status_code == 302
    assert second.get("/dashboard").status_code == 302
    assert third.get("/dashboard").status_code == 302
    assert admin.get("/dashboard").status_code == 200  # the admin's own session goes on
    with inside(app):
        reasons = db.session.scalars(
            select(StaffSession.end_reason).where(StaffSession.user_id == coordinator.id)
        ).all()
        audited = db.session.scalar(
            select(func.count()).where(
                AuditEvent.action == "user.session_end", AuditEvent.object_id == coordinator.id
            )
        )
    assert sorted(r or "" for r in reasons) == ["admin", "admin", "admin"]
    assert audited == 2
    # Ending it again is no error; under another user's address it is not found.
    again = f"/admin/users/{coordinator.id}/sessions/{first_id}/end"
    assert _csrf_free_post(admin, again).status_code == 302
    other_user = make_user("coordinator", make_agency())
    wrong = f"/admin/users/{other_user.id}/sessions/{first_id}/end"
    assert _csrf_free_post(admin, wrong).status_code == 404


def test_a_coordinator_cannot_open_or_use_the_admins_pages_about_sessions(
    app: Flask, make_user: Callable[..., User], make_agency: Callable[..., Any]
) -> None:
    agency = make_agency()
    colleague = make_user("coordinator", agency)
    other_browser = _browser(app, colleague, "Kollege")
    client = _browser(app, make_user("coordinator", agency), "Ich")
    assert client.get(f"/admin/users/{colleague.id}/access").status_code == 403
    assert (
        _csrf_free_post(client, f"/admin/users/{colleague.id}/sessions/end-all").status_code == 403
    )
    assert other_browser.get("/dashboard").status_code == 200


def test_logout_and_a_new_password_end_sessions_and_the_list_shows_only_live_ones(
    app: Flask, make_user: Callable[..., User], make_agency: Callable[..., Any]
) -> None:
    user = make_user("coordinator", make_agency())
    a = _browser(app, user, "A")
    b = _browser(app, user, "B")
    new = "ein langes Passwort, das keiner rät"
    changed = a.post("/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert changed.status_code == 302
    assert b.get("/dashboard").status_code == 302  # every other session ended
    html = a.get("/account/sessions").get_data(as_text=True)
    with inside(app):
        a_id = db.session.scalar(select(StaffSession.id).where(StaffSession.agent == "A"))
    assert _session_ids(html) == [a_id]  # this one goes on, listed
    a.post("/logout")
    with inside(app):
        row = db.session.scalar(select(StaffSession).where(StaffSession.agent == "A"))
        assert row is not None and row.end_reason == "logout"


def test_a_session_ended_by_time_is_not_listed(
    app: Flask, make_user: Callable[..., User], make_agency: Callable[..., Any]
) -> None:
    user = make_user("coordinator", make_agency())
    _browser(app, user, "Alt")
    viewer = _browser(app, user, "Neu")
    with inside(app):
        old = db.session.scalar(select(StaffSession).where(StaffSession.agent == "Alt"))
        new = db.session.scalar(select(StaffSession).where(StaffSession.agent == "Neu"))
        assert old is not None and new is not None
        old.last_seen_at = utcnow() - timedelta(minutes=45)
        db.session.commit()
        listed = [old.id, new.id]
    html = viewer.get("/account/sessions").get_data(as_text=True)
    assert _session_ids(html) == listed[1:]  # unused for 45 minutes: ended, not listed


def _outcomes(app: Flask, user: User) -> list[str]:
    with inside(app):
        return list(
            db.session.scalars(
                select(SignIn.outcome).where(SignIn.user_id == user.id).order_by(SignIn.id)
            )
        )


def test_admins_see_each_users_failed_and_successful_sign_ins(
    app: Flask, make_user: Callable[..., User], make_agency: Callable[..., Any]
) -> None:
    coordinator = make_user("coordinator", make_agency())
    secret, codes = enrol(app, coordinator)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert login(client, coordinator, "falsch geraten").status_code == 401
    assert login(client, "niemand@example.org", "falsch").status_code == 401
    assert sign_in(client, coordinator, wrong_code(secret)).status_code == 401
    assert client.post("/login/code", data={"code": code_now(secret)}).status_code == 302
    client.post("/logout")
    assert sign_in(app.test_client(), coordinator, codes[0]).status_code == 302
    assert _outcomes(app, coordinator) == [
        "wrong_password", "wrong_code", "success", "recovery_code",
    ]  # fmt: skip
    with inside(app):
        # The attempt for an unknown address is kept without any address typed.
        nobody = db.session.scalar(select(SignIn).where(SignIn.user_id.is_(None)))
        assert nobody is not None and nobody.outcome == "unknown_account"
        # A sign-in counts once both steps are done: one `user.login` per success.
        logins = db.session.scalar(
            select(func.count()).where(
                AuditEvent.action == "user.login", AuditEvent.object_id == coordinator.id
            )
        )
    assert logins == 2
    admin = _browser(app, make_user("admin"), "Admin")
    # The users table names her last sign-in and counts her failed ones of the week.
    users = admin.get("/admin/users").get_data(as_text=True)
    assert "2 fehlgeschlagene Anmeldungen in 7 Tagen" in users
    html = admin.get(f"/admin/users/{coordinator.id}/access").get_data(as_text=True)
    for words in ("falsches Passwort", "falscher Code", "angemeldet", "Wiederherstellungscode"):
        assert words in html, words
    assert html.count("fehlgeschlagen:") == 2
    assert "198.51.100.7" in html
    # The coordinator sees her own latest sign-ins too.
    own = app.test_client()
    assert sign_in(own, coordinator, codes[1]).status_code == 302  # this step's code is used
    assert "falsches Passwort" in own.get("/account/sessions").get_data(as_text=True)


def test_a_deactivated_account_is_logged_as_such(
    app: Flask, make_user: Callable[..., User], make_agency: Callable[..., Any]
) -> None:
    user = make_user("coordinator", make_agency())
    with inside(app):
        row = db.session.get(User, user.id)
        assert row is not None
        row.active = False
        db.session.commit()
    assert login(app.test_client(), user).status_code == 401
    assert _outcomes(app, user) == ["inactive"]


def test_the_daily_purge_removes_old_sign_ins_and_sessions(
    app: Flask, make_user: Callable[..., User], make_agency: Callable[..., Any]
) -> None:
    user = make_user("coordinator", make_agency())
    login(app.test_client(), user, "falsch")
    _browser(app, user, "alt")
    _browser(app, user, "neu")
    with inside(app):
        long_ago = utcnow() - timedelta(days=91)
        for s in db.session.scalars(select(SignIn).where(SignIn.outcome == "wrong_password")):
            s.at = long_ago
        old = db.session.scalar(select(StaffSession).where(StaffSession.agent == "alt"))
        assert old is not None
        old.last_seen_at = long_ago
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["gdpr", "purge"])
    assert result.exit_code == 0, result.output
    assert "2 old staff sign-ins and sessions" in result.output
    assert _outcomes(app, user) == ["success", "success"]
    with inside(app):
        agents = db.session.scalars(select(StaffSession.agent)).all()
    assert list(agents) == ["neu"]
