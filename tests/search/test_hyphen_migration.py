"""Documents indexed before hyphens were split are rebuilt by the migration (0006), so a query written as in the text
("ORD-88231") and the number alone ("88231") both find them after the upgrade."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from tests.search.helpers import found
from tickets.services import ticket_create

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's vectors only")


def test_documents_indexed_the_old_way_are_found_by_a_hyphenated_number_after_the_migration(
    api_client_for, alice, bob, worker
):
    with worker():
        order = ticket_create(requester=alice, subject="Refund for ORD-88231", description="Charged twice.")
    with connection.cursor() as cursor:  # as the worker indexed it before: "ORD-88231" is "ord" and "-88231"
        cursor.execute(
            "UPDATE search_ticketdocument SET public_vector = to_tsvector('english', subject), "
            "staff_vector = to_tsvector('english', subject)"
        )
    client = api_client_for(bob)
    assert found(client, "88231") == []

    migration = importlib.import_module("search.migrations.0006_hyphens_between_words")
    with connection.schema_editor() as schema_editor:
        migration.rebuild_vectors(apps, schema_editor)

    assert found(client, "88231") == [order.pk]
    assert found(client, "ORD-88231") == [order.pk]
