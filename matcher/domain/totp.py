"""The rules of the second factor, written once: which code counts, and recovery codes.

RFC 6238 time-based one-time passwords (six digits, 30-second steps, SHA-1, as every
authenticator app speaks them), with `pyotp`. A code counts once: the step of the last
accepted code is stored, and only a later step is accepted. The clock of a phone may be a
step off either way (±30 s), never more.

Recovery codes are 80 random bits each, written as four groups of four characters of an
alphabet without look-alikes. They are stored as HMAC-SHA-256 digests: with that much
entropy a slow password hash would add cost without adding safety, and a keyed digest
lets the one matching row be found (and spent) with one conditional UPDATE.
No Flask here: keys and times are passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp

STEP_SECONDS = 30
DIGITS = 6
#: How many steps a code may be off (a phone's clock running early or late).
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# Crockford-like: no 0/O, 1/I/L, so a code read off paper is typed right.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_LENGTH = 16  # 16 characters of 31: about 79 bits


def new_secret() -> str:
    """A fresh random TOTP secret (32 base32 characters: 160 bits, RFC 4226's advice)."""
    return pyotp.random_base32(length=32)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def step_at(when: datetime) -> int:
    """The 30-second time step a moment falls in."""
    return int(when.timestamp()) // STEP_SECONDS


def normalise_code(typed: str) -> str:
    """What was typed, without spaces and dashes, lower-case (codes are often typed grouped)."""
    return "".join(ch for ch in typed.strip().lower() if ch not in " -\u00a0\t")


def looks_like_totp(typed: str) -> bool:
    """Six digits: an authenticator's code (anything else may be a recovery code)."""
    code = normalise_code(typed)
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def accepted_step(secret: str, typed: str, when: datetime, last_step: int) -> int | None:
    """The time step whose code `typed` is, within ±DRIFT_STEPS of `when` and later than
    `last_step` (a code used once is never accepted again); None if there is none."""
    if not looks_like_totp(typed):
        return None
    code = normalise_code(typed)
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = step_at(when)
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        # Every candidate is compared (in constant time), so the answer's timing says nothing.
        if hmac.compare_digest(totp.generate_otp(step), code) and step > last_step:
            found = step if found is None else found
    return found


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Fresh recovery codes, each shown as four groups of four characters."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
    return codes


def recovery_digest(key: bytes, typed: str) -> str:
    """The stored form of a recovery code: HMAC-SHA-256 under `key`, hex."""
    return hmac.new(key, normalise_code(typed).encode(), hashlib.sha256).hexdigest()
