"""Index existing tickets for search: `manage.py search_backfill` (only tickets without a document, so a run that
was stopped goes on where it stopped), `--all` to rebuild every document (after changing SEARCH_LANGUAGE), with
`--after ID` to resume such a rebuild. On PostgreSQL it first makes SEARCH_LANGUAGE's accent-insensitive copy if there
is none yet (a configuration of one's own: migration 0007 made the built-in ones' copies)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.db.models import Exists, OuterRef

from search.models import TicketDocument
from search.services import text_search_configurations_create, ticket_documents_rebuild
from tickets.models import Ticket


class Command(BaseCommand):
    help = "Build the search documents of existing tickets, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", dest="rebuild_all", action="store_true", help="Rebuild every document, not only missing ones."
        )
        parser.add_argument("--after", type=int, default=0, help="Start after this ticket id (to resume --all).")
        parser.add_argument("--batch-size", type=int, default=500, help="Tickets per transaction.")

    def handle(
        self, *args: Any, rebuild_all: bool = False, after: int = 0, batch_size: int = 500, **options: Any
    ) -> None:
        if connection.vendor == "postgresql":
            text_search_configurations_create(languages=[settings.SEARCH_LANGUAGE])
        tickets = Ticket.objects.order_by("pk")
        if not rebuild_all:
            # NOT EXISTS, an anti-join: `exclude(pk__in=...)` is a NOT IN, which PostgreSQL cannot turn into one and,
            # once the ids outgrow work_mem, checks ticket by ticket against every document (hours at 1M).
            tickets = tickets.filter(~Exists(TicketDocument.objects.filter(ticket_id=OuterRef("pk"))))
        last, total = after, 0
        while True:
            batch = list(tickets.filter(pk__gt=last).values_list("pk", flat=True)[: max(batch_size, 1)])
            if not batch:
                break
            total += ticket_documents_rebuild(ticket_ids=batch)
            last = batch[-1]
            if options["verbosity"] > 1:
                self.stdout.write(f"indexed up to #{last}")
        self.stdout.write(f"Indexed {total} ticket{'s' if total != 1 else ''} for search (last id {last}).")
