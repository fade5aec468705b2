"""PostgreSQL: every search vector rebuilt, in batches, for the widened reading of addresses and paths
(search/services.py `PATH_SEPARATOR`, `without_accents`): a separator before any character but a blank is split
("/~bob/login"), an address right after a slash is a URL's user and host ("https://bob@vpn.example.com/login"), and
text is read without its accents, so "josé@example.com" is the address "jose@example.com", as an accented word is
that word without them. SQLite's FTS5 reads all of this so already.

The documents' text is unchanged, so only the vectors are rewritten, from it, by the database itself: no ticket is
read into Python. Each batch commits on its own; a document not rebuilt yet is found as before meanwhile.
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
        ("search", "0007_accents_and_paths"),
    ]

    operations = [
        migrations.RunPython(rebuild_vectors, migrations.RunPython.noop),
    ]
