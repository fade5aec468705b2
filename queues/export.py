"""CSV export of what a queue view shows: streamed row by row, read from the database in chunks, so memory stays
flat however many tickets there are."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.db.models import QuerySet

from sla.display import next_due
from sla.models import SlaClock
from tickets.models import Priority, Ticket

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


# Read as plain values, not model instances: an export of 100,000 tickets spends its time here.
VALUES = (
    "pk",
    "subject",
    "status",
    "priority",
    "requester__name",
    "requester__email",
    "assignee__name",
    "assignee__email",
    "team__name",
    "category__name",
    "channel",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
)


def _row(values: tuple[Any, ...], tags: list[str], clocks: list[SlaClock]) -> list[str]:
    (pk, subject, status, priority, requester_name, requester_email, assignee_name, assignee_email, *rest) = values
    team, category, channel, created, updated, first_response, resolved, closed = rest
    due = next_due(clocks)
    return [
        _cell(value)
        for value in (
            pk,
            subject,
            status,
            Priority(priority).label,
            requester_name,
            requester_email,
            assignee_name or assignee_email,
            team,
            category,
            ", ".join(sorted(tags)),
            channel,
            created,
            updated,
            first_response,
            resolved,
            closed,
            due.text if due else None,
            due.clock.due_at if due else None,
        )
    ]


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def export_rows(tickets: QuerySet[Ticket], ordering: tuple[str, ...], *, chunk_size: int) -> Iterator[list[str]]:
    """The header, then one row per ticket. `iterator(chunk_size)` reads the tickets `chunk_size` at a time; each
    chunk's tags and running SLA clocks are read in one query each, so only one chunk is ever held."""
    yield COLUMNS
    rows = tickets.order_by(*ordering).values_list(*VALUES).iterator(chunk_size=chunk_size)
    for chunk in _chunks(rows, chunk_size):
        ids = [values[0] for values in chunk]
        tags: dict[int, list[str]] = defaultdict(list)
        tagged = Ticket.tags.through.objects.filter(ticket_id__in=ids).values_list("ticket_id", "tag__name")
        for ticket_id, name in tagged:
            tags[ticket_id].append(name)
        clocks: dict[int, list[SlaClock]] = defaultdict(list)
        for clock in SlaClock.objects.running().filter(ticket_id__in=ids).select_related("calendar"):
            clocks[clock.ticket_id].append(clock)
        for values in chunk:
            yield _row(values, tags[values[0]], clocks[values[0]])


class _Echo:
    """csv.writer writes to this and gets each line back, to be streamed rather than buffered."""

    def write(self, value: str) -> str:
        return value


# Lines are sent in pieces of about this many characters: one write to the client per piece, not per line.
STREAM_PIECE_SIZE = 64 * 1024


def csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    piece = ["\ufeff"]  # the byte order mark that makes Excel read the file as UTF-8
    size = 0
    for row in rows:
        line = writer.writerow(row)
        piece.append(line)
        size += len(line)
        if size >= STREAM_PIECE_SIZE:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)
