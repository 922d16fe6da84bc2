"""Rate-limit storage that fails soft: Redis down means memory for a while, not failed logins.

Flask-Limiter falls back to each worker's memory when its storage raises
(`RATELIMIT_IN_MEMORY_FALLBACK_ENABLED`, logging the warning "Rate limit storage
unreachable - falling back to in-memory storage"), keeps the same limits there, and tries
the storage again after 1, 2, 4, … 32 s while requests come in; once Redis answers it
logs "Rate limit storage recovered" and the limits are shared again. Short socket
timeouts make a Redis that hangs (rather than refuses) cost a login one second, not minutes.
"""

from flask import Flask

REDIS_TIMEOUT_SECONDS = 1.0


def storage_options(app: Flask) -> None:
    """Give a Redis storage short timeouts, unless `RATELIMIT_STORAGE_OPTIONS` says otherwise."""
    uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "")
    if uri.startswith(("redis://", "rediss://", "redis+unix://")):
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_timeout": REDIS_TIMEOUT_SECONDS,
            **(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {}),
        }
