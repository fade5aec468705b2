"""helpdesk/timestamp_loader.py: timestamps read by psycopg's C loader are the values Django's own loader gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from psycopg.pq import Format

from helpdesk.timestamp_loader import use_c_timestamp_loader
from tickets.models import Ticket
from tickets.services import ticket_create

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's timestamptz loader")

MOMENTS = [
    datetime(2026, 12, 1, 10, 11, 12, 123456, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def _loader_in_use() -> type:
    connection.ensure_connection()
    oid = connection.connection.adapters.types["timestamptz"].oid
    return connection.connection.adapters.get_loader(oid, Format.TEXT)


def test_each_connection_reads_timestamps_with_the_c_loader(db):
    assert use_c_timestamp_loader() is True
    assert _loader_in_use().__name__ == "UtcTimestampLoader"


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_timestamp_reads_back_as_the_same_instant_in_utc(db, moment):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [moment])
        (read,) = cursor.fetchone()

    assert read == moment
    assert read.tzinfo is UTC


def test_the_orm_reads_a_ticket_s_times_as_aware_utc(alice):
    ticket = ticket_create(requester=alice, subject="When")

    created_at = Ticket.objects.values_list("created_at", flat=True).get(pk=ticket.pk)

    assert created_at == ticket.created_at
    assert created_at.tzinfo is UTC
