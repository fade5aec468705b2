"""PostgreSQL: the search vectors of tickets whose requester's address has accents rebuilt, now that a vector holds
that address without them too (search/services.py `_address_without_accents`), so `jose@example.org` finds the
tickets of josé@example.org as on SQLite, whose FTS5 reads it so already. Every other vector is as it was.

The documents' text is unchanged, so only the vectors are rewritten, from it, by the database itself: no ticket is
read into Python. Each batch commits on its own; a document not rebuilt yet is found as before meanwhile.
"""

from django.db import migrations

BATCH_SIZE = 5000


def rebuild_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The vectors are whatever search.services builds today: the same expressions the worker writes with.
    from search.services import _address_without_accents, _public_vector, _staff_vector

    documents = apps.get_model("search", "TicketDocument").objects.using(schema_editor.connection.alias)
    accented = documents.alias(without_accents=_address_without_accents()).filter(without_accents__isnull=False)
    last = 0
    while batch := list(accented.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]):
        documents.filter(pk__in=batch).update(public_vector=_public_vector(), staff_vector=_staff_vector())
        last = batch[-1]


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own: one transaction would hold every document's row lock to the end

    dependencies = [
        ("search", "0007_accents_and_paths"),
    ]

    operations = [
        migrations.RunPython(rebuild_vectors, migrations.RunPython.noop),
    ]
