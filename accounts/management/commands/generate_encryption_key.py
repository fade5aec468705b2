"""Print a new Fernet key for ENCRYPTION_KEYS (see accounts/encryption.py for rolling it out)."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print a new random key for ENCRYPTION_KEYS. It is not stored anywhere: put it in the environment."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(Fernet.generate_key().decode())
