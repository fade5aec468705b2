"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`, keys from ENCRYPTION_KEYS.

ENCRYPTION_KEYS lists Fernet keys newest first. Values are encrypted under the newest key and decrypted under
any listed key, so a new key is rolled out by putting it first, running `manage.py rotate_encryption_keys`, and
only then dropping the old one. `manage.py generate_encryption_key` prints a new key.
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "InvalidToken",
    "UnreadableSecret",
    "decrypt",
    "encrypt",
    "is_encrypted",
    "is_under_newest_key",
    "reencrypt",
]

# Every Fernet token starts with its version byte 0x80, which base64 spells "gAAAAA".
FERNET_TOKEN_START = "gAAAAA"  # noqa: S105 - a format marker, not a secret


class UnreadableSecret(InvalidToken):
    """No configured key opens a stored value: a key was dropped before rotation, or the value was tampered with.

    A subclass of InvalidToken, so callers that already catch that keep working; the message says which value.
    """


@cache
def development_key(secret_key: str) -> str:
    """A key derived from SECRET_KEY, so a fresh clone works; production must set ENCRYPTION_KEYS."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpdesk secrets at rest").derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(derived).decode()


def _keys() -> tuple[str, ...]:
    # Read on every call rather than once at import, so overriding the setting (tests, a shell) takes effect.
    return tuple(settings.ENCRYPTION_KEYS) or (development_key(settings.SECRET_KEY),)


@cache
def _fernets(keys: tuple[str, ...]) -> tuple[Fernet, ...]:
    try:
        return tuple(Fernet(key) for key in keys)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS must be comma-separated Fernet keys (32 url-safe base64-encoded bytes each)"
        ) from exc


@cache
def _box(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(list(_fernets(keys)))


def secret_box() -> MultiFernet:
    return _box(_keys())


def encrypt(text: str) -> str:
    return secret_box().encrypt(text.encode()).decode()


def decrypt(token: str, *, what: str = "a stored secret") -> str:
    """Raises UnreadableSecret, naming `what`, when no configured key opens `token`."""
    try:
        return secret_box().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise UnreadableSecret(_unreadable_message(what)) from exc


def reencrypt(token: str, *, what: str = "a stored secret") -> str:
    """The same secret under the newest key (MultiFernet.rotate keeps the original timestamp)."""
    try:
        return secret_box().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise UnreadableSecret(_unreadable_message(what)) from exc


def is_under_newest_key(token: str) -> bool:
    """True when the newest key opens `token`: rotating it again would change nothing."""
    try:
        _fernets(_keys())[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def is_encrypted(value: str) -> bool:
    return value.startswith(FERNET_TOKEN_START)


def _unreadable_message(what: str) -> str:
    return (
        f"No key in ENCRYPTION_KEYS opens {what}: was a key removed before `manage.py rotate_encryption_keys` "
        "re-encrypted everything under the newest one?"
    )
