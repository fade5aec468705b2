"""Delete attachment files no attachment names, as beat's hourly `tickets.delete_orphaned_files` does, reaching
further back once: strays from before that sweep existed, or from a time beat was down."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from tickets.services import attachments_orphaned_delete


class Command(BaseCommand):
    help = "Delete attachment files that no attachment names and are older than ATTACHMENT_ORPHAN_GRACE_SECONDS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--months", type=int, default=2, help="How many monthly folders to list, this month's first (default 2)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = attachments_orphaned_delete(
            older_than=timedelta(seconds=settings.ATTACHMENT_ORPHAN_GRACE_SECONDS), months=options["months"]
        )
        self.stdout.write(f"Deleted {deleted} orphaned attachment file(s).")
