"""Fixtures for outage tests: their own PostgreSQL and Redis servers, which they stop."""

from collections.abc import Iterator

import pytest

from tests.conftest import missing_service
from tests.pgserver import PostgresServer, PostgresUnavailable
from tests.redisserver import RedisServer, RedisUnavailable


@pytest.fixture
def own_postgres(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test alone (the suite's shared one must keep running)."""
    if "postgresql" not in request.config.getoption("--backends").split(","):
        pytest.skip("PostgreSQL is not among --backends")
    try:
        server = PostgresServer()
        server.start()
    except PostgresUnavailable as e:
        missing_service(f"PostgreSQL outage test skipped: {e}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test alone, to stop and start again."""
    try:
        server = RedisServer()
        server.start()
    except RedisUnavailable as e:
        missing_service(f"Redis outage test skipped: {e}")
    try:
        yield server
    finally:
        server.stop()
