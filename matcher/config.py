"""Configuration: defaults here, then `instance/config.py`, then the environment."""

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from matcher.domain import locales

# Environment variables read directly, by name, as operators expect them.
_ENV_STRINGS = (
    "SECRET_KEY",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "RATELIMIT_STORAGE_URI",
    "PUBLIC_BASE_URL",
    "MAIL_BACKEND",
    "JOBS_URL",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "METRICS_TOKEN",
    "PG_BIN_DIR",
)
_ENV_INTS = ("MAIL_PORT", "TRUST_PROXY", "HSTS_SECONDS")
_ENV_BOOLS = ("MAIL_USE_TLS", "MAIL_USE_SSL", "SESSION_COOKIE_SECURE")


def defaults(instance_path: str) -> dict[str, Any]:
    """Return the built-in defaults: an embedded SQLite database under the instance folder."""
    return {
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(Path(instance_path) / "matcher.sqlite"),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        # The languages pages and mails are written in: every volunteer language (sign-up,
        # self-service, their mails); staff pages offer only the staff ones of these
        # (matcher.domain.locales, matcher/i18n.py).
        "LANGUAGES": locales.VOLUNTEER_LANGUAGES,
        # Languages whose shipped page and mail texts someone at the agency has checked, e.g.
        # ["de", "en", "uk"]: the others say on every page and mail that they are drafts.
        "REVIEWED_UI_LANGUAGES": tuple(
            code for code in locales.VOLUNTEER_LANGUAGES if locales.is_checked(code)
        ),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_DEFAULT_SENDER": "matcher@localhost",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Sign-in guesses are slowed down (429 with Retry-After), never locked out (pen test
        # L3): per account from one address, per account from anywhere, and per address.
        # A browser that signed in to the account within KNOWN_DEVICE_DAYS is let through
        # the two per-account limits, so a stranger's guesses cannot keep the owner out.
        "LOGIN_LIMIT_PER_ACCOUNT": "5 per minute; 20 per hour",
        "LOGIN_LIMIT_PER_ACCOUNT_ANYWHERE": "20 per minute; 60 per hour",
        "LOGIN_LIMIT_PER_ADDRESS": "20 per minute; 100 per hour",
        "KNOWN_DEVICE_DAYS": 30,
        # Staff sign-ins (failed and successful) and ended sessions are kept this long for
        # the admins' view, then deleted by `flask gdpr purge` (they hold staff addresses).
        "SIGN_IN_LOG_DAYS": 90,
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        # How many reverse proxies (nginx, Caddy) sit in front and set X-Forwarded-*.
        "TRUST_PROXY": 0,
        # A staff session ends after this long unused, and this long after the sign-in
        # whatever happens (pen test L7; matcher/web/guards.py end_idle_and_old_sessions).
        "SESSION_IDLE_MINUTES": 30,
        "SESSION_MAX_HOURS": 12,
        # Strict-Transport-Security max-age when PUBLIC_BASE_URL is https (I1): browsers then
        # never try plain HTTP for this host. 0 turns the header off (e.g. the proxy sets it).
        "HSTS_SECONDS": 365 * 24 * 3600,
        # Sign-up, self-service and the outbox (matcher/services/signup.py, outbox.py).
        "MAIL_BACKEND": "smtp",  # or "console": print mails to stdout (demo)
        "MAIL_TIMEOUT_SECONDS": 20,
        "SIGNUP_CONFIRM_HOURS": 72,
        "MAGIC_LINK_MINUTES": 60,
        "UNCONFIRMED_PURGE_DAYS": 14,
        # Sent and given-up mails (names, links) are deleted by `gdpr purge` after this.
        "SENT_MAIL_RETENTION_DAYS": 30,
        "SIGNUP_RATE_LIMIT": "5 per minute; 30 per hour",
        # At most this many sign-up mails (confirmation links, "you are registered already")
        # to one address in 24 hours, whoever fills in the form (I7): a stranger cannot use
        # the form to flood someone's mailbox. The page answers alike either way.
        "SIGNUP_MAILS_PER_ADDRESS_PER_DAY": 3,
        "OUTBOX_MAX_ATTEMPTS": 8,
        "OUTBOX_BACKOFF_SECONDS": 60,
        # A worker's claim on the mail it sends; renewed while it sends, so after a crash
        # the mail waits at most this long (plus a poll) for another worker.
        "OUTBOX_LEASE_SECONDS": 15,
        "OUTBOX_POLL_SECONDS": 5,
        # The background job queue (matcher/jobs.py): None means instance/jobs.sqlite.
        "JOBS_URL": None,
        # Backups (matcher/services/platform/snapshots.py): the folder of pg_dump, pg_restore
        # and psql; None looks on PATH, then in the newest /usr/lib/postgresql/*/bin.
        "PG_BIN_DIR": None,
        # Outages (matcher/web/unavailable.py): how long a 503 page asks clients to wait, and
        # how long a PostgreSQL connection attempt may take before the request gives up.
        "UNAVAILABLE_RETRY_AFTER_SECONDS": 30,
        "DATABASE_CONNECT_TIMEOUT_SECONDS": 5,
        # Redis down: rate limits go on in each worker's memory (a warning is logged) and
        # return to Redis when it answers again; a storage error never fails a login.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        # /readyz (matcher/services/platform/readiness.py): when it answers 503. None switches
        # the outbox and queue checks' thresholds off (the outbox is still counted).
        "READYZ_OUTBOX_MAX_AGE_SECONDS": 900,
        "READYZ_QUEUE_MAX_DEPTH": None,
        "READYZ_MIN_FREE_MB": 200,
        # Logs (matcher/logs.py): "text" or "json" lines on stderr, each with the request id;
        # LOG_REQUESTS adds one line per request (endpoint, status, milliseconds; no path).
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "INFO",
        "LOG_REQUESTS": True,
        # /metrics (matcher/metrics.py) answers only with `Authorization: Bearer <token>`;
        # unset, /metrics does not exist (404).
        "METRICS_TOKEN": None,
        # `flask jobs work`: worker threads, and the longest pause between looks at an
        # idle queue (a job waits at most this long for a free worker to notice it).
        "JOBS_WORKERS": 2,
        "JOBS_POLL_SECONDS": 1.0,
        # A worker writes a heartbeat this often while it runs a matching run; a run
        # without one for JOBS_STALE_SECONDS is recorded as failed (its worker is gone).
        "JOBS_HEARTBEAT_SECONDS": 5.0,
        "JOBS_STALE_SECONDS": 60,
        # Password hashing (matcher/passwords.py): Argon2id at OWASP's minimum, 19 MiB,
        # 2 passes, 1 lane, about 17 ms of CPU per login. Raise, never lower, in production;
        # hashes with other parameters (or older scrypt ones) are replaced at the next login.
        "ARGON2_MEMORY_KIB": 19456,
        "ARGON2_TIME_COST": 2,
        "ARGON2_PARALLELISM": 1,
        # Load shedding per worker process (matcher/web/admission.py): at most CONCURRENT
        # requests in the app at once, at most QUEUE more waiting for a slot, none waiting
        # longer than WAIT_SECONDS (and none let in whose wait, by the recent time per
        # request, would be longer); any other request gets a static 503 with Retry-After at
        # once. Logins (form and check) and password changes have a lane of their own
        # (LOGIN_*) with a longer wait, so a wave of logins waits there and leaves the page
        # slots to those at work. CONCURRENT 0 switches shedding off. gunicorn's `threads`
        # must be more than all CONCURRENT and QUEUE together (gunicorn.conf.py warns).
        "ADMISSION_CONCURRENT": 2,
        "ADMISSION_QUEUE": 24,
        "ADMISSION_WAIT_SECONDS": 0.5,
        "ADMISSION_LOGIN_CONCURRENT": 1,
        "ADMISSION_LOGIN_QUEUE": 32,
        "ADMISSION_LOGIN_WAIT_SECONDS": 3.0,
        "ADMISSION_RETRY_AFTER_SECONDS": 5,
        # An import's dry run and import are background jobs for a file of more rows than
        # this (0: always); smaller files are checked and imported in the request, which
        # takes well under a second for this many (benchmarks/lists_results.md).
        "IMPORT_JOB_ROWS": 2000,
        # Two-factor sign-in for staff (matcher/services/platform/second_factor.py): admins must
        # use a second factor (TOTP); each agency decides for its coordinators. Off only for
        # tests and a first setup: `flask security check` names it as a weak setting.
        "TOTP_REQUIRED_FOR_ADMINS": True,
        # The name authenticator apps show above the code.
        "TOTP_ISSUER": "matcher",
        # After the password, how long the code may take, and how many tries per account.
        "TOTP_PENDING_MINUTES": 5,
        "TOTP_LIMIT": "5 per minute; 20 per hour",
        # "Heute zu tun" on the dashboard (matcher/services/matching/workqueue.py): a
        # proposal left undecided for more than this many days is listed there
        # (environment: MATCHER_PROPOSAL_STALE_DAYS).
        "PROPOSAL_STALE_DAYS": 7,
    }


def normalise_database_url(url: str) -> str:
    """Map plain PostgreSQL URLs to the psycopg 3 driver, so `postgres://…` just works."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill `app.config` from the defaults, the instance folder and the environment, in order."""
    # Secret key, SQLite database, uploads: the instance folder is its owner's only (L11).
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    app.config.from_mapping(defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        _from_environment(app)
    else:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(app.instance_path)
    if str(app.config["PUBLIC_BASE_URL"]).startswith("https://"):
        # Served over HTTPS: cookies never travel in clear text.
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def _from_environment(app: Flask) -> None:
    if url := os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    for name in _ENV_STRINGS:
        if name in os.environ:
            app.config[name] = os.environ[name]
    for name in _ENV_INTS:
        if name in os.environ:
            app.config[name] = int(os.environ[name])
    for name in _ENV_BOOLS:
        if name in os.environ:
            app.config[name] = os.environ[name].strip().lower() in ("1", "true", "yes", "on")
    # Anything else as MATCHER_<KEY>, parsed as JSON where it can be (Flask's convention).
    app.config.from_prefixed_env("MATCHER")
    # The debugger runs code from the browser: only `flask run --debug` may turn it on,
    # never a setting that could leak into production (gunicorn).
    debug = os.environ.get("FLASK_DEBUG", "").lower() in ("1", "true")
    app.config["DEBUG"] = debug
    app.debug = debug


def _instance_secret_key(instance_path: str) -> str:
    """Read the secret key from the instance folder, generating it once on first start."""
    path = Path(instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race; use its key
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
        return key
