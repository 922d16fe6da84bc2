"""`flask security check`: the settings of this installation that weaken its security.

Each finding names the setting, why it matters and what to do about it. Nothing here
changes a setting; the operator decides. The checks read the app's configuration, the
files of the instance folder and, for two-factor sign-in, the staff accounts.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.engine import make_url

#: Secret keys seen in examples and tests: a key anyone can read signs anyone's session.
KNOWN_WEAK_KEYS = frozenset(
    {"dev", "development", "secret", "changeme", "change-me", "test-secret", "test"}
)
MIN_SECRET_KEY_LENGTH = 32


@dataclass(frozen=True)
class Finding:
    """One weak setting: `level` is "high" (fix before real data) or "medium"."""

    level: str
    setting: str
    problem: str
    remedy: str


def check(config: dict[str, Any], instance_path: str, workers: int) -> list[Finding]:
    """Every weak setting of an app with this configuration, `workers` processes serving."""
    findings: list[Finding] = []
    findings += _secret_key(config)
    findings += _transport(config)
    findings += _debug(config)
    findings += _second_factor(config)
    findings += _shared_limits(config, workers)
    findings += _file_modes(config, Path(instance_path))
    return findings


def _secret_key(config: dict[str, Any]) -> list[Finding]:
    key = str(config.get("SECRET_KEY") or "")
    if key.lower() in KNOWN_WEAK_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        return [Finding(
            "high", "SECRET_KEY",
            "the secret key is short or a well-known example: whoever knows it can forge "
            "sessions and sign-in links",
            "remove SECRET_KEY from the configuration (a random key is then generated into "
            "instance/secret_key) or set 64 random hex digits, e.g. from "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`",
        )]  # fmt: skip
    return []


def _transport(config: dict[str, Any]) -> list[Finding]:
    base = str(config.get("PUBLIC_BASE_URL") or "")
    if not base.startswith("https://"):
        return [Finding(
            "high", "PUBLIC_BASE_URL",
            f"links in mails point to {base or '(not set)'}: sign-in links and session "
            "cookies travel unencrypted",
            "serve through a TLS proxy (nginx, Caddy) and set PUBLIC_BASE_URL=https://… and "
            "TRUST_PROXY=1; cookies are then marked Secure and HSTS is sent",
        )]  # fmt: skip
    findings = []
    if int(config.get("HSTS_SECONDS") or 0) <= 0:
        findings.append(Finding(
            "medium", "HSTS_SECONDS",
            "no Strict-Transport-Security header is sent: a browser may try plain HTTP first",
            "set HSTS_SECONDS=31536000, unless the proxy sends the header itself",
        ))  # fmt: skip
    if int(config.get("TRUST_PROXY") or 0) <= 0:
        findings.append(Finding(
            "medium", "TRUST_PROXY",
            "served over https but no proxy is trusted: client addresses (rate limits) are "
            "the proxy's, and the scheme is not taken from X-Forwarded-Proto",
            "set TRUST_PROXY to the number of proxies in front (usually 1)",
        ))  # fmt: skip
    return findings


def _debug(config: dict[str, Any]) -> list[Finding]:
    if config.get("DEBUG") or os.environ.get("FLASK_DEBUG", "").lower() in ("1", "true"):
        return [Finding(
            "high", "FLASK_DEBUG",
            "the debugger is on: anyone who can cause an error can run code on the server",
            "unset FLASK_DEBUG; serve with gunicorn (`gunicorn -c gunicorn.conf.py wsgi:app`)",
        )]  # fmt: skip
    return []


def _second_factor(config: dict[str, Any]) -> list[Finding]:
    if not config.get("TOTP_REQUIRED_FOR_ADMINS", False):
        return [Finding(
            "high", "TOTP_REQUIRED_FOR_ADMINS",
            "admins sign in with a password alone: one phished password opens every "
            "agency's data",
            "set TOTP_REQUIRED_FOR_ADMINS=true (the default) so that every admin enrols a "
            "second factor",
        )]  # fmt: skip
    return _admins_without_second_factor()


def _admins_without_second_factor() -> list[Finding]:
    from matcher.extensions import db
    from matcher.models import SecondFactor, User

    missing = db.session.scalar(
        select(func.count()).select_from(User).where(
            User.role == "admin",
            User.active.is_(True),
            ~exists().where(SecondFactor.user_id == User.id),
        )
    )  # fmt: skip
    if missing:
        return [Finding(
            "medium", "two-factor sign-in",
            f"{missing} active admin(s) have not enrolled a second factor yet; they are "
            "sent to enrolment at their next sign-in",
            "ask them to sign in and enrol now, or deactivate accounts no longer used",
        )]  # fmt: skip
    return []


def _shared_limits(config: dict[str, Any], workers: int) -> list[Finding]:
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if workers > 1 and storage.startswith("memory://"):
        return [Finding(
            "medium", "RATELIMIT_STORAGE_URI",
            f"rate limits (sign-in, sign-up) are counted per process: with {workers} worker "
            f"processes a guesser gets {workers} times the limit",
            "run redis-server and set RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379",
        )]  # fmt: skip
    return []


def _file_modes(config: dict[str, Any], instance: Path) -> list[Finding]:
    findings = []
    private = [(instance, 0o700), (instance / "secret_key", 0o600)]
    url = make_url(str(config.get("SQLALCHEMY_DATABASE_URI") or ""))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        private += [(database, 0o600)]
        private += [(database.with_name(database.name + s), 0o600) for s in ("-wal", "-shm")]
    stash = config.get("IMPORT_STASH_DIR")
    private.append((Path(stash) if stash else instance / "imports", 0o700))
    for path, wanted in private:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            findings.append(Finding(
                "high", str(path),
                f"mode {mode:04o}: other users of this machine can read personal data or "
                "the secret key",
                f"chmod {wanted:04o} {path}",
            ))  # fmt: skip
    return findings
