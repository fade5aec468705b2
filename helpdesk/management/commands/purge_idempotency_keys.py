"""Delete Idempotency-Key records past IDEMPOTENCY_KEY_TTL_HOURS. Run it daily (cron, a scheduled job)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from helpdesk.idempotency import idempotency_keys_purge


class Command(BaseCommand):
    help = "Delete expired Idempotency-Key records."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = idempotency_keys_purge()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
