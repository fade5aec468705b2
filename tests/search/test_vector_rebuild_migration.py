"""Documents indexed before hyphens and paths were split and accents ignored are rebuilt by the migration (0007), so
a query written as in the text ("ORD-88231"), a part of it ("88231", "wiki") or without its accents ("cafe") finds
them after the upgrade; those of a requester whose address has accents are rebuilt again by 0008, so the address
written without them finds them."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from accounts.services import user_create
from tests.search.helpers import found
from tickets.services import ticket_create

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's vectors only")


def index_the_old_way() -> None:
    """As the worker indexed before: "ORD-88231" is "ord" and "-88231", a URL one token, "Café" "café"."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE search_ticketdocument SET public_vector = to_tsvector('english', subject), "
            "staff_vector = to_tsvector('english', subject)"
        )


def migrate(name: str) -> None:
    migration = importlib.import_module(f"search.migrations.{name}")
    with connection.schema_editor() as schema_editor:
        migration.rebuild_vectors(apps, schema_editor)


def test_documents_indexed_the_old_way_are_found_by_a_hyphenated_number_after_the_migration(
    api_client_for, alice, bob, worker
):
    with worker():
        order = ticket_create(requester=alice, subject="Refund for ORD-88231", description="Charged twice.")
    index_the_old_way()
    client = api_client_for(bob)
    assert found(client, "88231") == []

    migrate("0007_accents_and_paths")

    assert found(client, "88231") == [order.pk]
    assert found(client, "ORD-88231") == [order.pk]


def test_documents_indexed_the_old_way_are_found_without_accents_and_by_a_part_of_a_path_after_the_migration(
    api_client_for, alice, bob, worker
):
    with worker():
        cafe = ticket_create(requester=alice, subject="Café wiki at https://intranet.example.com/wiki/Page down")
    index_the_old_way()
    client = api_client_for(bob)
    assert found(client, "cafe") == []
    assert found(client, "intranet") == []

    migrate("0007_accents_and_paths")

    assert found(client, "cafe") == [cafe.pk]
    assert found(client, "intranet") == [cafe.pk]


def test_only_documents_of_a_requester_with_an_accented_address_are_rebuilt_by_0008(api_client_for, alice, bob, worker):
    jose = user_create(email="jos\u00e9@example.org", name="Jose Perez")
    with worker():
        printer = ticket_create(requester=jose, subject="Printer jams")
        ticket_create(requester=alice, subject="Caf\u00e9 order")
    index_the_old_way()
    client = api_client_for(bob)
    assert found(client, "jose@example.org") == []

    migrate("0008_requester_address_without_accents")

    assert found(client, "jose@example.org") == [printer.pk]
    assert found(client, "cafe") == []  # alice's address has no accents: her ticket's vector is left as it was
