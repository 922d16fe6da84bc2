"""Logging in and out, password changes, and sessions that must end."""

from collections.abc import Callable

from flask.testing import FlaskClient

from matcher.models import Agency, User
from tests.conftest import PASSWORD, login


def test_login_page_renders_german_by_default(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html
    assert "Anmelden" in html


def test_login_succeeds_and_lands_on_dashboard(
    client: FlaskClient, make_agency: Callable[..., Agency], make_user: Callable[..., User]
) -> None:
    user = make_user("coordinator", make_agency())
    response = login(client, user)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: FlaskClient, make_agency: Callable[..., Agency], make_user: Callable[..., User]
) -> None:
    user = make_user("coordinator", make_agency())
    wrong = login(client, user, "not the password")
    unknown = login(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    # The pages differ only in the email typed back into the form.
    assert wrong.get_data(as_text=True).replace(user.email, "EMAIL") == unknown.get_data(
        as_text=True
    ).replace("nobody@example.org", "EMAIL")
    assert client.get("/dashboard").status_code == 302  # still logged out


def test_deactivated_user_cannot_log_in(
    client: FlaskClient, make_agency: Callable[..., Agency], make_user: Callable[..., User]
) -> None:
    user = make_user("coordinator", make_agency(), active=False)
    assert login(client, user).status_code == 401


def test_session_cookie_from_before_logout_no_longer_works(
    app, make_agency: Callable[..., Agency], make_user: Callable[..., User]
) -> None:
    user = make_user("coordinator", make_agency())
    first, second = app.test_client(), app.test_client()
    login(first, user)
    login(second, user)
    stolen = first.get_cookie("session").value
    assert first.post("/logout").status_code == 302
    # The cookie as it was before logout, replayed, is worthless ...
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/dashboard").status_code == 302
    # ... and so is every other session of that user.
    assert second.get("/dashboard").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(
    app, make_agency: Callable[..., Agency], make_user: Callable[..., User]
) -> None:
    user = make_user("coordinator", make_agency())
    this, other = app.test_client(), app.test_client()
    login(this, user)
    login(other, user)
    old_cookie = this.get_cookie("session").value
    response = this.post(
        "/password",
        data={
            "current": PASSWORD,
            "new": "a new long passphrase",
            "confirm": "a new long passphrase",
        },
    )
    assert response.status_code == 302
    assert this.get("/dashboard").status_code == 200
    assert other.get("/dashboard").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/dashboard").status_code == 302
    assert login(app.test_client(), user, "a new long passphrase").status_code == 302
    assert login(app.test_client(), user, PASSWORD).status_code == 401


def test_password_change_with_wrong_current_password_changes_nothing(
    client: FlaskClient, make_agency: Callable[..., Agency], make_user: Callable[..., User]
) -> None:
    user = make_user("coordinator", make_agency())
    login(client, user)
    response = client.post(
        "/password",
        data={"current": "wrong", "new": "another long one", "confirm": "another long one"},
    )
    assert response.status_code == 400
    assert login(client.application.test_client(), user).status_code == 302


def test_login_is_a_new_session(
    client: FlaskClient, make_agency: Callable[..., Agency], make_user: Callable[..., User]
) -> None:
    user = make_user("coordinator", make_agency())
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
    login(client, user)
    with client.session_transaction() as s:
        assert "planted" not in s


def test_next_redirect_only_to_local_paths(
    app, make_agency: Callable[..., Agency], make_user: Callable[..., User]
) -> None:
    user = make_user("coordinator", make_agency())
    for target, expected in [
        ("/volunteers", "/volunteers"),
        ("//evil.example/x", "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
    ]:
        c = app.test_client()
        response = c.post("/login?next=" + target, data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == expected, target


def test_logout_needs_post(
    client: FlaskClient, make_agency: Callable[..., Agency], make_user: Callable[..., User]
) -> None:
    login(client, make_user("coordinator", make_agency()))
    assert client.get("/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200


def test_roles(
    client: FlaskClient, make_agency: Callable[..., Agency], make_user: Callable[..., User]
) -> None:
    agency = make_agency()
    login(client, make_user("coordinator", agency))
    assert client.get("/admin/agencies").status_code == 403
    admin_client = client.application.test_client()
    login(admin_client, make_user("admin"))
    assert admin_client.get("/admin/agencies").status_code == 200
    # An agency's people only after choosing to act as that agency.
    assert "/admin/act-as" in admin_client.get("/volunteers").location
    admin_client.post("/admin/act-as", data={"agency": str(agency.id)})
    assert admin_client.get("/volunteers").status_code == 200


def test_anonymous_is_sent_to_login(client: FlaskClient) -> None:
    for path in ("/dashboard", "/volunteers", "/newcomers/1", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
