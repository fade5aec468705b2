"""Personal access tokens: how a secret looks, how it is stored, and when it expires."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.utils import timezone

TOKEN_PREFIX = "hd_"  # noqa: S105 - a label, not a secret
# What the token list and the admin show, so a leaked secret can be matched to its row: "hd_" and seven more.
SHOWN_PREFIX_LENGTH = 10
# The longest lifetime anyone may pick, on the page or through the API.
MAX_LIFETIME_DAYS = 3650


def token_generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(secret: str) -> str:
    """Tokens are high-entropy random strings, so a plain SHA-256 is enough (no salt or slow hash needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def token_expiry(*, days: int | None) -> datetime | None:
    """When a token made now for `days` days expires; None never expires."""
    return None if days is None else timezone.now() + timedelta(days=days)
