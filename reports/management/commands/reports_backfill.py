"""Compute the reports' figures from history: every ticket's metrics, then the rollups of every day."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from reports import services


class Command(BaseCommand):
    help = "Recompute every ticket's metrics and every day's rollups (after an upgrade, or to repair them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rollups-only", action="store_true", help="Keep the ticket metrics; recompute the daily rollups."
        )

    def handle(self, *args: Any, rollups_only: bool = False, **options: Any) -> None:
        if not rollups_only:
            tickets = services.ticket_metrics_backfill()
            self.stdout.write(f"Metrics of {tickets} tickets recomputed.")
        rows = services.rollups_backfill()
        self.stdout.write(f"{rows} rollup rows written.")
