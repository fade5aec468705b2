"""PostgreSQL: search ignores accents and finds the parts of addresses, paths and version numbers, as SQLite's FTS5
does ("cafe" finds "Café", "wiki" finds "https://intranet.example.com/wiki/Page", "1.2" finds "1.2.3").

The `unaccent` extension (trusted since PostgreSQL 13: the database's owner may create it, no superuser needed), an
accent-insensitive copy of every built-in text search configuration (`english_unaccent`…, so any SEARCH_LANGUAGE
works at once; a configuration of one's own gets its copy from `search_backfill`), then every search vector rebuilt
with it and with paths apart (search/services.py `PATH_SEPARATOR`), in batches. SQLite's FTS5 did all this already.
"""

from django.conf import settings
from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

BATCH_SIZE = 5000


def _languages(cursor):
    """The built-in configurations, and SEARCH_LANGUAGE when it is one of one's own that exists already (one made
    later gets its copy from `search_backfill`)."""
    cursor.execute(
        "SELECT cfgname FROM pg_ts_config WHERE cfgnamespace = 'pg_catalog'::regnamespace "
        "OR (cfgname = %s AND pg_ts_config_is_visible(oid))",
        [settings.SEARCH_LANGUAGE],
    )
    return sorted({name for (name,) in cursor.fetchall()})


def create_configurations(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from search.services import text_search_configurations_create

    with schema_editor.connection.cursor() as cursor:
        languages = _languages(cursor)
    text_search_configurations_create(languages=languages, using=schema_editor.connection.alias)


def drop_configurations(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from search.services import search_configuration

    with schema_editor.connection.cursor() as cursor:
        for language in _languages(cursor):
            cursor.execute(f'DROP TEXT SEARCH CONFIGURATION IF EXISTS "{search_configuration(language)}"')


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
        ("search", "0006_hyphens_between_words"),
    ]

    operations = [
        UnaccentExtension(),  # does nothing on other databases
        migrations.RunPython(create_configurations, drop_configurations),
        migrations.RunPython(rebuild_vectors, migrations.RunPython.noop),
    ]
