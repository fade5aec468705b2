"""PostgreSQL: finer statistics on the search vectors, so the planner can tell a rare word from a common one.

With the default target (100) ANALYZE keeps about a thousand of the most common words; every other word is
estimated at up to 0.5% of the tickets, and for a rare word the planner then walks the newest-first index over the
whole table looking for 25 matches (seconds at 1M tickets) instead of reading the few matches from the GIN index
(milliseconds). With 1000 it keeps about ten thousand, and rare words are estimated as rare.
"""

from django.db import migrations

STATEMENTS = {
    True: [
        "ALTER TABLE search_ticketdocument ALTER COLUMN public_vector SET STATISTICS 1000",
        "ALTER TABLE search_ticketdocument ALTER COLUMN staff_vector SET STATISTICS 1000",
    ],
    False: [
        "ALTER TABLE search_ticketdocument ALTER COLUMN public_vector SET STATISTICS -1",
        "ALTER TABLE search_ticketdocument ALTER COLUMN staff_vector SET STATISTICS -1",
    ],
}


def _run(forwards):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in STATEMENTS[forwards]:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_fts_columns_by_field"),
    ]

    operations = [migrations.RunPython(_run(True), _run(False))]
