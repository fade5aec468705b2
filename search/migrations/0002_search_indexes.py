"""The indexes search needs, each on the database that has them.

PostgreSQL: pg_trgm, GIN indexes on both search vectors, and trigram GIN indexes on the requester's name and address
(on UPPER(...), the expression Django's `icontains` compares). SQLite: the FTS5 table, one row per ticket (rowid =
ticket id), its `public` column what the requester may read, its `internal` column the staff-only notes.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

POSTGRES_FORWARDS = [
    "CREATE INDEX search_doc_public_vector ON search_ticketdocument USING gin (public_vector)",
    "CREATE INDEX search_doc_staff_vector ON search_ticketdocument USING gin (staff_vector)",
    "CREATE INDEX search_doc_requester_email_trgm ON search_ticketdocument USING gin "
    "(UPPER(requester_email) gin_trgm_ops)",
    "CREATE INDEX search_doc_requester_name_trgm ON search_ticketdocument USING gin "
    "(UPPER(requester_name) gin_trgm_ops)",
]
POSTGRES_BACKWARDS = [
    "DROP INDEX IF EXISTS search_doc_public_vector",
    "DROP INDEX IF EXISTS search_doc_staff_vector",
    "DROP INDEX IF EXISTS search_doc_requester_email_trgm",
    "DROP INDEX IF EXISTS search_doc_requester_name_trgm",
]
SQLITE_FORWARDS = [
    "CREATE VIRTUAL TABLE search_ticket_fts USING fts5("
    "public, internal, tokenize = 'porter unicode61 remove_diacritics 2')",
]
SQLITE_BACKWARDS = ["DROP TABLE IF EXISTS search_ticket_fts"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_ticket_document"),
    ]

    operations = [
        TrigramExtension(),  # does nothing on other databases
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARDS, "sqlite": SQLITE_FORWARDS}),
            _run({"postgresql": POSTGRES_BACKWARDS, "sqlite": SQLITE_BACKWARDS}),
        ),
    ]
