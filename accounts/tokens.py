"""Personal access tokens: how a secret looks, how it is stored, when it expires, and whose tokens a user sees."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken, User

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


def api_tokens_of(user: User | AnonymousUser) -> QuerySet[ApiToken]:
    """The tokens a user sees and may revoke, on the page and through the API: their own, still usable."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.usable().filter(user=user)
