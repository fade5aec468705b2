"""CSV export of what a queue view shows: streamed row by row, read from the database in chunks, so memory stays
flat however many tickets there are."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime

from django.db.models import QuerySet

from sla.display import next_due
from sla.selectors import running_clocks_prefetch
from tickets.models import Ticket

EXPORT_CHUNK_SIZE = 500

COLUMNS = [
    "id",
    "subject",
    "status",
    "priority",
    "requester_name",
    "requester_email",
    "assignee",
    "team",
    "category",
    "tags",
    "channel",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "sla_next",
    "sla_due_at",
]

# A spreadsheet runs a cell that starts with one of these as a formula; a requester writes the subject.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _row(ticket: Ticket) -> list[str]:
    due = next_due(list(ticket.running_sla_clocks))
    return [
        _cell(value)
        for value in (
            ticket.pk,
            ticket.subject,
            ticket.status,
            ticket.priority_name,
            ticket.requester.name,
            ticket.requester.email,
            ticket.assignee.display_name if ticket.assignee else None,
            ticket.team.name if ticket.team else None,
            ticket.category.name if ticket.category else None,
            ", ".join(sorted(tag.name for tag in ticket.tags.all())),
            ticket.channel,
            ticket.created_at,
            ticket.updated_at,
            ticket.first_response_at,
            ticket.resolved_at,
            ticket.closed_at,
            due.text if due else None,
            due.clock.due_at if due else None,
        )
    ]


def export_rows(tickets: QuerySet[Ticket], ordering: tuple[str, ...], *, chunk_size: int) -> Iterator[list[str]]:
    """The header, then one row per ticket. `iterator(chunk_size)` reads `chunk_size` tickets at a time and runs the
    prefetches (tags, SLA clocks) for each chunk, so only one chunk is ever held."""
    yield COLUMNS
    rows = (
        tickets.select_related("requester", "assignee", "team", "category")
        .prefetch_related("tags", running_clocks_prefetch())
        .order_by(*ordering)
    )
    for ticket in rows.iterator(chunk_size=chunk_size):
        yield _row(ticket)


class _Echo:
    """csv.writer writes to this and gets each line back, to be streamed rather than buffered."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # the byte order mark that makes Excel read the file as UTF-8
    for row in rows:
        yield writer.writerow(row)
