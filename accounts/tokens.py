from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "hd_"  # noqa: S105 - a label, not a secret


def token_generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(secret: str) -> str:
    """Tokens are high-entropy random strings, so a plain SHA-256 is enough (no salt or slow hash needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()
