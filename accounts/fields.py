from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models

from accounts import encryption

# Each value is encrypted with a fresh random IV, so the same secret never gives the same token twice: comparing
# a column with an encrypted value can never match. Only "is it set at all" can be asked of the database.
ALLOWED_LOOKUPS = frozenset({"isnull"})


class EncryptedTextField(models.TextField):
    """A text column that holds only Fernet tokens; Python code sees the plain text.

    Use it for every secret the app keeps (OAuth client secrets, later webhook signing secrets and mailbox
    passwords). `manage.py rotate_encryption_keys` finds these fields by type and re-encrypts them.
    Filtering on the field (`secret="..."`, `secret__contains=...`) raises FieldError instead of silently matching
    nothing; only `__isnull` works. The empty string is stored as is, so "not set" needs no key.
    """

    description = "Text encrypted at rest with the keys in ENCRYPTION_KEYS"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return encryption.decrypt(value, what=self._label())

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encryption.encrypt(value)

    def get_lookup(self, lookup_name: str) -> type[models.Lookup] | None:
        if lookup_name not in ALLOWED_LOOKUPS:
            raise FieldError(
                f"{self._label()} is encrypted with a random IV: it cannot be compared in the database "
                f"(lookup '{lookup_name}'); only __isnull is supported."
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> type[models.Transform] | None:
        return None

    def _label(self) -> str:
        model = getattr(self, "model", None)
        return f"{model._meta.label}.{self.name}" if model is not None else f"the field {self.name}"
