"""Keys derived from SECRET_KEY, one per purpose (HKDF-SHA-256, info "matcher:<purpose>").

One home for every key the app derives: the session cookie's encryption, the TOTP secrets
at rest, the recovery-code digests, the known-device marks. A key for one purpose reveals
nothing of another's, and changing SECRET_KEY changes them all (see the README).
"""

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derived_key(secret_key: str | bytes, purpose: str) -> bytes:
    """32 bytes for `purpose`, derived from the app's SECRET_KEY."""
    material = secret_key if isinstance(secret_key, bytes) else str(secret_key).encode()
    info = b"matcher:" + purpose.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


def fernet(secret_key: str | bytes, purpose: str) -> Fernet:
    """Authenticated encryption (Fernet) under the key for `purpose`."""
    return Fernet(base64.urlsafe_b64encode(derived_key(secret_key, purpose)))
