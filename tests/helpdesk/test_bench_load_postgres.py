"""The PostgreSQL bench loads its tickets with plain SQL (bench/pg_data.py), which the ORM's defaults don't reach: a
column added without a database default breaks `make bench` on a new machine. This loads a small desk with that very
SQL into the migrated test database, so such a column fails here first."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import User
from bench import pg_data
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's SQL: set DATABASE_URL to a PostgreSQL database"
)

SIZE = 60


@pytest.mark.django_db
def test_the_bench_loads_its_desk_into_the_current_schema():
    params = {
        "size": SIZE,
        "agents": 3,
        "requesters": 5,
        "teams": 2,
        "categories": 2,
        "tags": 4,
        "agent_email": pg_data.AGENT_EMAIL,
        "words": pg_data.WORDS,
        "syllables": pg_data.SYLLABLES,
    }
    with connection.cursor() as cursor:
        for statement in pg_data.LOAD_SQL.split(";\n"):
            if statement.strip():
                cursor.execute(statement, params)
        cursor.execute(pg_data.SURVEYS_SQL, {})
        cursor.execute(pg_data.REPLIES_SQL, {"body": pg_data.REPLY_BODY})

    assert Ticket.objects.count() == SIZE
    assert User.objects.filter(email__endswith="@bench.test").count() == 8
    assert all(user.zone for user in User.objects.filter(email__endswith="@bench.test"))
    assert Comment.objects.filter(body=pg_data.REPLY_BODY).exists()
