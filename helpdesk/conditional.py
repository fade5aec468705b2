"""Conditional requests: strong ETags, `If-Match` for safe concurrent edits, `If-None-Match` for cheap re-reads."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from rest_framework.request import Request

ANY = "*"
WEAK_PREFIX = "W/"


def strong_etag(parts: Iterable[object]) -> str:
    """A quoted SHA-256 of `parts`: equal parts, equal tag; anything different, a different tag."""
    canonical = json.dumps(list(parts), default=str, separators=(",", ":"))
    return f'"{hashlib.sha256(canonical.encode()).hexdigest()}"'


def _header_etags(value: str) -> list[str]:
    # Our tags are hex digests, so a comma never appears inside one and a plain split is enough.
    return [tag.strip() for tag in value.split(",") if tag.strip()]


def if_match_etags(request: Request) -> list[str] | None:
    """The tags an `If-Match` header accepts, or None when the write is unconditional (no header, or `*`).

    If-Match uses the strong comparison, so a weak tag (`W/"…"`) is kept as is and can never match.
    """
    value = request.headers.get("If-Match")
    if value is None or value.strip() == ANY:
        return None
    return _header_etags(value)


def none_match(request: Request, etag: str) -> bool:
    """True when `If-None-Match` names `etag` (weak comparison), so the client's copy is current: 304."""
    value = request.headers.get("If-None-Match")
    if value is None:
        return False
    if value.strip() == ANY:
        return True
    return any(tag.removeprefix(WEAK_PREFIX) == etag for tag in _header_etags(value))
