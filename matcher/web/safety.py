"""Small guards shared by the blueprints."""

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Accept only a local path (not `//host`, not `http://…`) as a place to redirect to."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    return target
