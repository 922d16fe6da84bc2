"""Login is rate-limited per account and per address, also across several workers."""

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import PASSWORD, login, missing_service
from tests.redisserver import RedisServer, RedisUnavailable

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server started for this run."""
    try:
        server = RedisServer()
        url = server.start()
    except RedisUnavailable as e:
        missing_service(f"Redis tests skipped: {e}")
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def empty_redis(redis_url: str) -> str:
    """The Redis server, emptied: counters from an earlier test must not carry over."""
    import redis

    with redis.Redis.from_url(redis_url) as client:
        client.flushall()
    return redis_url


def _limited(make_app: Callable[..., Flask], **config: Any) -> Flask:
    defaults = {"RATELIMIT_ENABLED": True, "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute",
                "LOGIN_LIMIT_PER_ADDRESS": "50 per minute"}  # fmt: skip
    return make_app(**{**defaults, **config})


def test_login_is_limited_per_account_and_unknown_accounts_get_the_same_answer(
    make_app: Callable[..., Flask], make_agency: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    app = _limited(make_app, RATELIMIT_STORAGE_URI="memory://")
    user = make_user("coordinator", make_agency())
    client = app.test_client()
    known = [login(client, user, "wrong").status_code for _ in range(4)]
    unknown = [login(client, "nobody@example.org", "wrong").status_code for _ in range(4)]
    assert known == unknown == [401, 401, 401, 429]
    page = login(client, user, PASSWORD)
    assert page.status_code == 429  # even the right password waits now
    assert "Zu viele Versuche" in page.get_data(as_text=True)
    # Another account from the same address is not affected.
    other = make_user("coordinator", make_agency())
    assert login(client, other).status_code == 302


def test_login_is_limited_per_address(
    make_app: Callable[..., Flask], make_agency: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    app = _limited(
        make_app, RATELIMIT_STORAGE_URI="memory://", LOGIN_LIMIT_PER_ADDRESS="5 per minute"
    )
    client = app.test_client()
    codes = [login(client, f"guess{i}@example.org", "x").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]
    # A different address may still log in.
    user = make_user("coordinator", make_agency())
    elsewhere = app.test_client()
    response = elsewhere.post(
        "/login", data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )  # fmt: skip
    assert response.status_code == 302


def _from(app: Flask, address: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_L3_strangers_guessing_from_many_addresses_slow_down_but_never_lock_out_the_owner(
    make_app: Callable[..., Flask], make_agency: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    """Pen test L3: five wrong passwords for a coordinator's address kept her out for the
    hour. Now guesses are counted per account *and* address and per account from anywhere,
    and the browser she signed in with recently is let through both."""
    app = _limited(
        make_app, RATELIMIT_STORAGE_URI="memory://",
        LOGIN_LIMIT_PER_ACCOUNT="3 per minute", LOGIN_LIMIT_PER_ACCOUNT_ANYWHERE="6 per minute",
    )  # fmt: skip
    owner = make_user("coordinator", make_agency())
    her_browser = _from(app, "192.0.2.10")
    for _ in range(2):  # successful sign-ins do not count towards the limits
        assert login(her_browser, owner).status_code == 302
        her_browser.post("/logout")
    cookie = her_browser.get_cookie("matcher_device", path="/login")
    assert cookie is not None and cookie.http_only and cookie.path == "/login"

    # One address guessing is slowed down after three tries, for this account only.
    codes = [login(_same := _from(app, "203.0.113.1"), owner, "falsch").status_code]
    codes += [login(_same, owner, "falsch").status_code for _ in range(3)]
    assert codes == [401, 401, 401, 429]
    # Spread over addresses, the guesses for the account are slowed down after six.
    spread = [login(_from(app, f"203.0.113.{n}"), owner, "falsch").status_code
              for n in range(2, 7)]  # fmt: skip
    assert spread == [401, 401, 401, 429, 429]
    stranger = login(_from(app, "203.0.113.99"), owner, PASSWORD)
    assert stranger.status_code == 429  # even with the right password: slowed down
    assert "Retry-After" in stranger.headers
    assert "kommt in der Regel sofort durch" in stranger.get_data(as_text=True)

    # The owner's own browser still signs in, on this account only.
    assert login(her_browser, owner).status_code == 302
    her_browser.post("/logout")
    assert login(her_browser, owner, "vertippt").status_code == 401  # a typo is a 401
    # A forged or foreign device cookie does not help a stranger.
    forged = _from(app, "203.0.113.100")
    forged.set_cookie("matcher_device", "eyJ4Ijoi.forged.sig", path="/login")
    assert login(forged, owner).status_code == 429
    someone_else = make_user("coordinator", make_agency())
    theirs = _from(app, "198.51.100.1")
    assert login(theirs, someone_else).status_code == 302
    theirs.post("/logout")
    assert login(theirs, owner).status_code == 429  # remembered for the other account


WORKER = """
import json, sys
from matcher import create_app
from tests.conftest import app_test_config
config = json.loads(sys.argv[1])
app = create_app(app_test_config(config.pop("url"), **config))
client = app.test_client()
codes = [client.post("/login", data={"email": sys.argv[2], "password": "wrong"}).status_code
         for _ in range(2)]
print(json.dumps(codes))
"""


def _other_worker(database_url: str, storage: str, email: str) -> list[int]:
    """Two login attempts from a separate process: another gunicorn worker or host."""
    config = {"url": database_url, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage,
              "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute", "LOGIN_LIMIT_PER_ADDRESS": "50 per minute"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(config), email],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "memory"])
def test_limits_hold_across_workers_only_with_shared_storage(
    make_app: Callable[..., Flask], empty_redis: str, database_url: str, shared: bool,
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
) -> None:  # fmt: skip
    storage = empty_redis if shared else "memory://"
    user = make_user("coordinator", make_agency())
    assert _other_worker(database_url, storage, user.email) == [401, 401]
    here = _limited(make_app, RATELIMIT_STORAGE_URI=storage).test_client()
    codes = [login(here, user, "wrong").status_code for _ in range(2)]
    # With Redis the other worker's two attempts count here too; in memory they do not.
    assert codes == ([401, 429] if shared else [401, 401])
