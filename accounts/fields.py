from __future__ import annotations

from typing import Any

from django.db import models

from accounts import encryption


class EncryptedTextField(models.TextField):
    """A text column that holds only Fernet tokens; Python code sees the plain text.

    Use it for every secret the app keeps (OAuth client secrets, later webhook signing secrets and mailbox
    passwords). `manage.py rotate_encryption_keys` finds these fields by type and re-encrypts them.
    """

    description = "Text encrypted at rest with the keys in ENCRYPTION_KEYS"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return encryption.decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encryption.encrypt(value)
