"""One search document per ticket, rebuilt from the ticket's data by the worker (see search/services.py).

Public text and staff-only text are kept apart so a requester's search can never match an internal note: on
PostgreSQL `public_vector` holds only what the requester may read and `staff_vector` holds that plus the internal
notes; on SQLite the FTS5 table `search_ticket_fts` (migrations 0002, 0003) has columns `subject`, `requester`,
`public` and `internal`, and a requester's query is limited to the first three.

The GIN indexes (full text on both vectors, trigram on the requester's name and address) are made by migration 0002
on PostgreSQL only, so they are not in `Meta.indexes`: SQLite has no GIN, and a table rebuild there would try to
recreate them.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone


class TicketDocument(models.Model):
    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    subject = models.TextField(blank=True)
    requester_name = models.TextField(blank=True)
    requester_email = models.TextField(blank=True)
    public_text = models.TextField(blank=True, help_text="Description, public replies, form answers and tags.")
    internal_text = models.TextField(blank=True, help_text="Internal notes: staff only.")
    public_vector = SearchVectorField(null=True, editable=False)
    staff_vector = SearchVectorField(null=True, editable=False)
    indexed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Search document for #{self.ticket_id}"
