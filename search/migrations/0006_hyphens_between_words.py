"""PostgreSQL: rebuild the search vectors, which now read every hyphen between two word characters ("vpn-drops",
"ORD-12345") as a separator, as queries do (search/services.py `WORD_HYPHEN`). Without it, a query written as in the
text would no longer find the documents indexed before. Every document, in batches; SQLite's FTS5 splits such words
already.
"""

from django.db import migrations

BATCH_SIZE = 5000


def rebuild_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The vectors are whatever search.services builds today: the same expressions the worker writes with.
    from search.services import _public_vector, _staff_vector

    documents = apps.get_model("search", "TicketDocument").objects.using(schema_editor.connection.alias)
    last = 0
    while batch := list(documents.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]):
        documents.filter(pk__in=batch).update(public_vector=_public_vector(), staff_vector=_staff_vector())
        last = batch[-1]


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own: one transaction would hold every document's row lock to the end

    dependencies = [
        ("search", "0005_numbers_after_hyphens"),
    ]

    operations = [migrations.RunPython(rebuild_vectors, migrations.RunPython.noop)]
