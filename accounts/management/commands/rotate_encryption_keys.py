"""Re-encrypt every stored secret under the newest key in ENCRYPTION_KEYS.

Rolling out a key: put the new key first in ENCRYPTION_KEYS (keeping the old ones after it), deploy, run this
command, and only then remove the old keys. `--check` tells whether that last step is safe yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models.functions import Cast

from accounts import encryption
from accounts.fields import EncryptedTextField

BATCH_SIZE = 500

# The keys of allauth's Authenticator.data that hold values passed through MFAAdapter.encrypt (allauth.mfa's
# totp/internal/auth.py and recovery_codes/internal/auth.py). WebAuthn stores nothing encrypted.
AUTHENTICATOR_ENCRYPTED_KEYS = {"totp": ("secret",), "recovery_codes": ("seed",)}
# Recovery codes imported from another MFA library are kept as a list of encrypted codes.
AUTHENTICATOR_ENCRYPTED_LISTS = {"recovery_codes": ("migrated_codes",)}


@dataclass
class Tally:
    label: str
    rotated: int = 0
    current: int = 0
    unreadable: list[str] = field(default_factory=list)


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field and two-factor secret under the newest key in ENCRYPTION_KEYS. "
        "Changes nothing, and exits non-zero, if any value cannot be decrypted with the configured keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit non-zero unless every value is already under the newest key "
            "(run it before removing an old key).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help=f"Rows read per query (default {BATCH_SIZE})."
        )

    def handle(self, *args: Any, check: bool, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if not settings.ENCRYPTION_KEYS:
            self.stderr.write("ENCRYPTION_KEYS is not set: using the development key derived from SECRET_KEY.")
        tallies: list[Tally] = []
        with transaction.atomic():
            for model, encrypted_field in encrypted_fields():
                tallies.append(_rotate_column(model, encrypted_field, write=not check, batch_size=batch_size))
            if apps.is_installed("allauth.mfa"):
                tallies.append(_rotate_authenticators(write=not check, batch_size=batch_size))
            unreadable = [row for tally in tallies for row in tally.unreadable]
            if unreadable:
                # Leaving the atomic block with an exception rolls back whatever was already re-encrypted.
                raise CommandError(
                    f"{len(unreadable)} value(s) cannot be decrypted with any key in ENCRYPTION_KEYS; "
                    "nothing was changed. Put the missing key back in ENCRYPTION_KEYS (after the newest), "
                    "or delete these rows:\n  " + "\n  ".join(unreadable)
                )

        verb = "to re-encrypt" if check else "re-encrypted"
        for tally in tallies:
            self.stdout.write(f"{tally.label}: {tally.rotated} {verb}, {tally.current} already under the newest key")
        pending = sum(tally.rotated for tally in tallies)
        if check and pending:
            raise CommandError(f"{pending} value(s) are not yet under the newest key: run rotate_encryption_keys.")


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every EncryptedTextField of every installed model, so a new one is covered without touching this command."""
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        # Local fields only: a field inherited through multi-table inheritance lives in (and is rotated with) its
        # parent's table.
        for model_field in model._meta.local_concrete_fields:
            if isinstance(model_field, EncryptedTextField):
                yield model, model_field


def _rotate_column(model: type[models.Model], column: EncryptedTextField, *, write: bool, batch_size: int) -> Tally:
    tally = Tally(label=f"{model._meta.label}.{column.name}")
    # Cast to a plain TextField so the stored token comes back as it is, not decrypted by from_db_value.
    rows = model._base_manager.filter(**{f"{column.attname}__isnull": False}).annotate(
        stored=Cast(column.attname, output_field=models.TextField())
    )
    for pk, token in _batches(rows.values_list("pk", "stored"), batch_size):
        if token == "":
            continue
        rotated = _rotated(token, tally, row=f"{tally.label} pk={pk}")
        if rotated is not None and write:
            # A Value with a plain TextField is written as it is; the field itself would encrypt the token again.
            model._base_manager.filter(pk=pk).update(
                **{column.attname: models.Value(rotated, output_field=models.TextField())}
            )
    return tally


def _rotate_authenticators(*, write: bool, batch_size: int) -> Tally:
    from allauth.mfa.models import Authenticator

    # Counted per encrypted value: a recovery-codes row may hold several.
    tally = Tally(label="mfa.Authenticator.data (TOTP secrets, recovery-code seeds)")
    rows = Authenticator.objects.filter(type__in=AUTHENTICATOR_ENCRYPTED_KEYS).values_list("pk", "type", "data")
    for pk, kind, data in _batches(rows, batch_size):
        rotated_data = dict(data)
        changed = False
        for key in AUTHENTICATOR_ENCRYPTED_KEYS[kind]:
            if data.get(key):
                rotated = _rotated(data[key], tally, row=f"mfa.Authenticator pk={pk} ({kind}) data.{key}")
                if rotated is not None:
                    rotated_data[key] = rotated
                    changed = True
        for key in AUTHENTICATOR_ENCRYPTED_LISTS.get(kind, ()):
            if data.get(key):
                rotated_list = []
                for index, token in enumerate(data[key]):
                    rotated = _rotated(token, tally, row=f"mfa.Authenticator pk={pk} ({kind}) data.{key}[{index}]")
                    rotated_list.append(token if rotated is None else rotated)
                    changed = changed or rotated is not None
                rotated_data[key] = rotated_list
        if changed and write:
            Authenticator.objects.filter(pk=pk).update(data=rotated_data)
    return tally


def _rotated(token: str, tally: Tally, *, row: str) -> str | None:
    """The token under the newest key, or None when it already is (or cannot be read, which is noted)."""
    if encryption.is_under_newest_key(token):
        tally.current += 1
        return None
    try:
        rotated = encryption.reencrypt(token, what=row)
    except encryption.UnreadableSecret:
        tally.unreadable.append(row)
        return None
    tally.rotated += 1
    return rotated


def _batches(rows: models.QuerySet, batch_size: int) -> Iterator[Any]:
    """Rows in primary-key order, `batch_size` at a time, each batch locked until the command's transaction ends.

    The lock keeps the app from changing a value between our read and our write (PostgreSQL; SQLite serialises
    writers anyway).
    """
    last_pk = None
    while True:
        batch = rows.order_by("pk").select_for_update()
        if last_pk is not None:
            batch = batch.filter(pk__gt=last_pk)
        chunk = list(batch[:batch_size])
        if not chunk:
            return
        yield from chunk
        last_pk = chunk[-1][0]
