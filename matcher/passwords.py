"""Password hashing: Argon2id at OWASP's minimum cost; older hashes still verify.

Why Argon2id and not Werkzeug's scrypt (N=2^15, r=8, p=1, what every account had before):
that scrypt costs about 0.09–0.15 s of CPU per check and is still below OWASP's scrypt
minimum (N=2^17), so 150 logins at once held both cores for 15–25 s. Argon2id with OWASP's
first recommended setting (19 MiB, 2 passes, 1 lane) costs about 17 ms of CPU and releases
the GIL, so a threaded worker checks two passwords on two cores at once.

A hash records its own scheme and parameters, so old hashes (``scrypt:…``, ``pbkdf2:…``
from Werkzeug) keep verifying; `needs_rehash` tells the login to store a new one with the
current parameters once the password is known. No Flask here: the parameters are passed in
(the app's come from its configuration, see `matcher.services.platform.accounts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import Type
from werkzeug.security import check_password_hash

ARGON2_PREFIX = "$argon2id$"


@dataclass(frozen=True)
class Argon2Params:
    """The cost of one Argon2id hash: memory in KiB, passes over it, lanes."""

    memory_kib: int
    time_cost: int
    parallelism: int


# OWASP Password Storage Cheat Sheet: "m=19456 (19 MiB), t=2, p=1" is the first of its
# equivalent minimum settings for Argon2id. Raise these, never lower them, in production.
OWASP_MINIMUM = Argon2Params(memory_kib=19456, time_cost=2, parallelism=1)


@lru_cache(maxsize=8)
def _hasher(params: Argon2Params) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def hash_password(password: str, params: Argon2Params = OWASP_MINIMUM) -> str:
    """Hash a password with Argon2id and a fresh random salt."""
    return _hasher(params).hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` matches `stored`, whichever supported scheme made it (constant time)."""
    if stored.startswith(ARGON2_PREFIX):
        try:
            # The parameters are read from the stored hash; the hasher's own do not matter.
            return bool(_hasher(OWASP_MINIMUM).verify(stored, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    if stored.startswith(("scrypt:", "pbkdf2:")):
        return check_password_hash(stored, password)
    return False


def needs_rehash(stored: str, params: Argon2Params = OWASP_MINIMUM) -> bool:
    """Whether `stored` was made by another scheme or with other parameters than `params`."""
    if not stored.startswith(ARGON2_PREFIX):
        return True
    try:
        return bool(_hasher(params).check_needs_rehash(stored))
    except InvalidHashError:
        return True


@lru_cache(maxsize=8)
def dummy_hash(params: Argon2Params = OWASP_MINIMUM) -> str:
    """A hash of a password nobody has, with `params`: checked when an email is unknown, so
    that answer costs the same as a wrong password for an account that exists."""
    return hash_password("matcher-timing-equaliser", params)
