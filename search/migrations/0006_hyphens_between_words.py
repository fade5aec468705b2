"""PostgreSQL: rebuild the search vectors, which now read every hyphen between two word characters ("vpn-drops", not
only "ORD-12345") as a separator, as queries do (search/services.py `WORD_HYPHEN`). Without it, a query for an address
with such a hyphen ("help-desk@acme.test") would no longer find the documents indexed before. Every document, in
batches, as 0005 rebuilt them; SQLite's FTS5 splits such words already.
"""

from importlib import import_module

from django.db import migrations

rebuild_vectors = import_module("search.migrations.0005_numbers_after_hyphens").rebuild_vectors


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own: one transaction would hold every document's row lock to the end

    dependencies = [
        ("search", "0005_numbers_after_hyphens"),
    ]

    operations = [migrations.RunPython(rebuild_vectors, migrations.RunPython.noop)]
