"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`, keys from ENCRYPTION_KEYS.

ENCRYPTION_KEYS lists Fernet keys newest first. Values are encrypted under the newest key and decrypted under
any listed key, so a new key is rolled out by putting it first, running `manage.py rotate_encryption_keys`, and
only then dropping the old one.
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "decrypt", "encrypt", "is_encrypted", "reencrypt"]

# Every Fernet token starts with its version byte 0x80, which base64 spells "gAAAAA".
FERNET_TOKEN_START = "gAAAAA"  # noqa: S105 - a format marker, not a secret


def development_key(secret_key: str) -> str:
    """A key derived from SECRET_KEY, so a fresh clone works; production must set ENCRYPTION_KEYS."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpdesk secrets at rest").derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(derived).decode()


@cache
def _box(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS must be comma-separated Fernet keys (32 url-safe base64-encoded bytes each)"
        ) from exc


def secret_box() -> MultiFernet:
    keys = tuple(settings.ENCRYPTION_KEYS) or (development_key(settings.SECRET_KEY),)
    return _box(keys)


def encrypt(text: str) -> str:
    return secret_box().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """Raises InvalidToken when no configured key opens `token` (a dropped key, or a tampered value)."""
    return secret_box().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same secret under the newest key (MultiFernet.rotate keeps the original timestamp)."""
    return secret_box().rotate(token.encode()).decode()


def is_encrypted(value: str) -> bool:
    return value.startswith(FERNET_TOKEN_START)
