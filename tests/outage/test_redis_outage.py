"""Redis (the shared rate-limit storage) stops: logins and sign-ups go on, limited in memory.

With rate limits in Redis as the README advises, every login failed while Redis was down
(`shared/findings/rel.md` section 10). Now the limiter falls back to each worker's memory,
logs a warning, and uses Redis again once it answers.
"""

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from matcher import create_app
from matcher.extensions import db, limiter
from matcher.models.base import Base
from tests.conftest import PASSWORD, agency_factory, app_test_config, login, user_factory
from tests.forms import signup_form
from tests.redisserver import RedisServer
from tests.security.test_rate_limits import _other_worker

FALLBACK_WARNING = "Rate limit storage unreachable - falling back to in-memory storage"
RECOVERED = "Rate limit storage recovered"


@pytest.fixture
def limiter_state() -> Iterator[None]:
    """The limiter is one object per process: leave it as a fresh app would find it."""
    yield
    limiter._storage_dead = False


def _redis_keys(url: str) -> int:
    with redis.Redis.from_url(url) as client:
        return len(client.keys("LIMITS:*"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """One SQLite database: the database plays no part here, so one backend suffices."""
    url = f"sqlite:///{tmp_path / 'limits.sqlite'}"
    app = create_app(app_test_config(url))
    with app.app_context():
        Base.metadata.create_all(db.engine)
    yield url
    with app.app_context():
        db.engine.dispose()


def test_logins_and_signups_work_while_redis_is_down_and_limits_are_shared_again_after(
    own_redis: RedisServer, sqlite_url: str, caplog: pytest.LogCaptureFixture,
    limiter_state: None,
) -> None:  # fmt: skip
    url = f"redis://127.0.0.1:{own_redis.port}"
    app = create_app(app_test_config(
        sqlite_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url,
        LOGIN_LIMIT_PER_ACCOUNT="3 per minute", LOGIN_LIMIT_PER_ADDRESS="100 per minute",
        SIGNUP_RATE_LIMIT="100 per minute",
    ))  # fmt: skip
    make_agency, make_user = agency_factory(app), user_factory(app)
    make_agency(slug="koeln")
    user = make_user("coordinator", make_agency())
    client = app.test_client()
    assert login(client, user).status_code == 302
    assert _redis_keys(url) > 0, "the limits are kept in Redis while it runs"

    own_redis.pause()
    caplog.set_level(logging.WARNING, logger="flask-limiter")
    # Logins and sign-ups still work, and the limits still hold, in this worker's memory.
    assert login(app.test_client(), user).status_code == 302
    assert FALLBACK_WARNING in caplog.text
    signup = app.test_client().post("/signup/koeln", data=signup_form())
    assert signup.status_code == 302
    guessed = make_user("coordinator", make_agency())
    wrong = [login(app.test_client(), guessed, "wrong").status_code for _ in range(4)]
    assert wrong == [401, 401, 401, 429]

    own_redis.resume()
    caplog.set_level(logging.INFO, logger="flask-limiter")
    # The limiter asks Redis again after 1, 2, 4, … s while requests come in.
    deadline = time.monotonic() + 40
    while RECOVERED not in caplog.text and time.monotonic() < deadline:
        client.get("/login")
        time.sleep(0.2)
    assert RECOVERED in caplog.text
    # Shared again: another process's attempts count here (Redis restarted empty).
    other = make_user("coordinator", make_agency())
    assert _other_worker(sqlite_url, url, other.email) == [401, 401]
    assert [login(app.test_client(), other, "wrong").status_code for _ in range(2)] == [401, 429]
    assert login(app.test_client(), other, PASSWORD).status_code == 429
