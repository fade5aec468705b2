"""Search documents for the PostgreSQL bench's databases (bench/pg_data.py calls `search_prepare`).

The bench loads tickets with SQL, not through the services, so no event ever asked the worker to index them: this
builds every missing search document once (kept with the database), the way `manage.py search_backfill` would but
in a few statements, with the vector expressions of `search.services`. Before that it puts a rare word into
RARE_TICKETS tickets spread over the table (one in 500 at 10k, one in 50,000 at 1M), so the search scenarios have a
rare word and a common one to look for, and the rare word's page shows as many rows at every size.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

RARE_WORD = "xylograph"
RARE_TICKETS = 20
COMMON_WORD = "printer"  # one of bench/pg_data.py's WORDS: in the subject or description of about one ticket in 8
BATCH = 100_000


def search_prepare() -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Exists, OuterRef

    from search.models import TicketDocument
    from tickets.models import Ticket

    with connection.cursor() as cursor:
        rare_word_mark(cursor)
    missing = Ticket.objects.filter(~Exists(TicketDocument.objects.filter(ticket_id=OuterRef("pk"))))
    if missing.exists():
        started = time.monotonic()
        with connection.cursor() as cursor:
            documents_build(cursor)
            # Here, not in documents_build: VACUUM cannot run in a transaction, and its test builds in one.
            cursor.execute("VACUUM ANALYZE search_ticketdocument")
        print(f"  search documents built in {time.monotonic() - started:.0f} s", flush=True)
    return {"rare_word": RARE_WORD, "common_word": COMMON_WORD}


def rare_word_mark(cursor: Any) -> None:
    """Tickets that should have the rare word and lack it get it, and lose their documents (built again)."""
    from tickets.models import Ticket

    every = max(Ticket.objects.count() // RARE_TICKETS, 1)
    cursor.execute(
        "WITH marked AS (UPDATE tickets_ticket SET description = description || ' ' || %s "
        "WHERE id %% %s = 7 AND description NOT LIKE %s RETURNING id) "
        "DELETE FROM search_ticketdocument WHERE ticket_id IN (SELECT id FROM marked)",
        [RARE_WORD, every, f"%{RARE_WORD}%"],
    )


def documents_build(cursor: Any) -> None:
    """Insert the missing documents (public text: description, public replies, tags; internal: the notes), then
    compute their vectors in batches; the search indexes are dropped first and built once at the end."""
    from search.models import TicketDocument
    from search.services import _public_vector, _staff_vector

    indexes = importlib.import_module("search.migrations.0002_search_indexes")
    for statement in indexes.POSTGRES_BACKWARDS:
        cursor.execute(statement)
    cursor.execute("SET maintenance_work_mem = '512MB'")
    cursor.execute(
        """
        INSERT INTO search_ticketdocument (ticket_id, subject, requester_name, requester_email, public_text,
            internal_text, indexed_at)
        SELECT t.id, t.subject, u.name, u.email,
               concat_ws(E'\\n\\n', nullif(t.description, ''), c.public, g.tags), coalesce(c.internal, ''), now()
        FROM tickets_ticket t
        JOIN accounts_user u ON u.id = t.requester_id
        LEFT JOIN (
            SELECT ticket_id,
                   string_agg(body, E'\\n\\n' ORDER BY created_at, id) FILTER (WHERE NOT internal) AS public,
                   string_agg(body, E'\\n\\n' ORDER BY created_at, id) FILTER (WHERE internal) AS internal
            FROM tickets_comment GROUP BY ticket_id
        ) c ON c.ticket_id = t.id
        LEFT JOIN (
            SELECT tt.ticket_id, string_agg(tag.name, ' ') AS tags
            FROM tickets_ticket_tags tt JOIN tickets_tag tag ON tag.id = tt.tag_id GROUP BY tt.ticket_id
        ) g ON g.ticket_id = t.id
        WHERE NOT EXISTS (SELECT 1 FROM search_ticketdocument d WHERE d.ticket_id = t.id)
        """
    )
    cursor.execute("SELECT coalesce(min(ticket_id), 0), coalesce(max(ticket_id), 0) FROM search_ticketdocument")
    first, last = cursor.fetchone()
    for start in range(first, last + 1, BATCH):
        TicketDocument.objects.filter(
            ticket_id__gte=start, ticket_id__lt=start + BATCH, public_vector__isnull=True
        ).update(public_vector=_public_vector(), staff_vector=_staff_vector())
    for statement in indexes.POSTGRES_FORWARDS:
        cursor.execute(statement)
