"""`flask security check` names each weak setting with what to do about it."""

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from matcher.services.platform import security_check
from tests.conftest import inside

STRONG = {
    "SECRET_KEY": "9f" * 32,
    "PUBLIC_BASE_URL": "https://paten.example.org",
    "HSTS_SECONDS": 31536000,
    "TRUST_PROXY": 1,
    "DEBUG": False,
    "TOTP_REQUIRED_FOR_ADMINS": True,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
}


def _private_instance(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    for name in ("secret_key", "matcher.sqlite"):
        (instance / name).touch(mode=0o600)
    uri = f"sqlite:///{instance / 'matcher.sqlite'}"
    return instance, {**STRONG, "SQLALCHEMY_DATABASE_URI": uri}


def test_a_careful_installation_has_no_findings(app: Flask, tmp_path: Path) -> None:
    # No admin yet: nobody without a second factor.
    instance, config = _private_instance(tmp_path)
    with inside(app):
        assert security_check.check(config, str(instance), workers=4) == []


def test_each_weak_setting_is_named_with_its_remedy(app: Flask, tmp_path: Path) -> None:
    instance, config = _private_instance(tmp_path)
    os.chmod(instance / "secret_key", 0o644)
    os.chmod(instance / "matcher.sqlite", 0o640)
    weak = {
        **config,
        "SECRET_KEY": "change-me",
        "DEBUG": True,
        "TOTP_REQUIRED_FOR_ADMINS": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    with inside(app):
        found = {f.setting: f for f in security_check.check(weak, str(instance), workers=3)}
    assert set(found) == {
        "SECRET_KEY", "FLASK_DEBUG", "TOTP_REQUIRED_FOR_ADMINS", "RATELIMIT_STORAGE_URI",
        str(instance / "secret_key"), str(instance / "matcher.sqlite"),
    }  # fmt: skip
    assert "3 times the limit" in found["RATELIMIT_STORAGE_URI"].problem
    assert found[str(instance / "secret_key")].remedy == f"chmod 0600 {instance / 'secret_key'}"
    assert found["SECRET_KEY"].level == "high"
    # One worker shares nothing; plain http is named, and with https the missing proxy.
    os.chmod(instance / "secret_key", 0o600)
    os.chmod(instance / "matcher.sqlite", 0o600)
    with inside(app):
        plain = security_check.check(
            {**config, "PUBLIC_BASE_URL": "http://10.0.0.5:8000"}, str(instance), workers=1
        )
        no_proxy = security_check.check(
            {**config, "TRUST_PROXY": 0, "HSTS_SECONDS": 0}, str(instance), workers=1
        )
    assert [f.setting for f in plain] == ["PUBLIC_BASE_URL"]
    assert {f.setting for f in no_proxy} == {"TRUST_PROXY", "HSTS_SECONDS"}


def test_the_command_prints_its_findings_and_fails_on_a_high_one(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(SECRET_KEY="test-secret", PUBLIC_BASE_URL="http://127.0.0.1:5000")
    result = app.test_cli_runner().invoke(args=["security", "check", "--workers", "2"])
    assert result.exit_code == 1
    assert "[high] SECRET_KEY: the secret key is short or a well-known example" in result.output
    assert "What to do: serve through a TLS proxy" in result.output
    assert "RATELIMIT_STORAGE_URI" in result.output
    assert "to fix before real data goes in." in result.output


def test_admins_who_have_not_enrolled_are_counted(
    app: Flask, tmp_path: Path, make_user: Callable[..., Any]
) -> None:
    instance, config = _private_instance(tmp_path)
    make_user("admin")
    make_user("admin", active=False)
    with inside(app):
        found = security_check.check(config, str(instance), workers=1)
    assert [(f.setting, f.level) for f in found] == [("two-factor sign-in", "medium")]
    assert found[0].problem.startswith("1 active admin(s) have not enrolled")
