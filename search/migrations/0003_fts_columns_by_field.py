"""SQLite: the FTS5 table gets a column per kind of text (subject, requester, public, internal), so a snippet can be
taken from the ticket's text rather than repeat its subject and requester; refilled from the search documents."""

from django.db import migrations

FORWARDS = [
    "DROP TABLE IF EXISTS search_ticket_fts",
    "CREATE VIRTUAL TABLE search_ticket_fts USING fts5("
    "subject, requester, public, internal, tokenize = 'porter unicode61 remove_diacritics 2')",
    "INSERT INTO search_ticket_fts (rowid, subject, requester, public, internal) "
    "SELECT ticket_id, subject, requester_name || ' ' || requester_email, public_text, internal_text "
    "FROM search_ticketdocument",
]
BACKWARDS = [
    "DROP TABLE IF EXISTS search_ticket_fts",
    "CREATE VIRTUAL TABLE search_ticket_fts USING fts5("
    "public, internal, tokenize = 'porter unicode61 remove_diacritics 2')",
    "INSERT INTO search_ticket_fts (rowid, public, internal) "
    "SELECT ticket_id, subject || char(10) || requester_name || char(10) || requester_email || char(10) || public_text, "
    "internal_text FROM search_ticketdocument",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_search_indexes"),
    ]

    operations = [migrations.RunPython(_run(FORWARDS), _run(BACKWARDS))]
