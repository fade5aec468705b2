"""PostgreSQL: search ignores accents and finds the parts of addresses, paths and version numbers, as SQLite's FTS5
does ("cafe" finds "Café", "wiki" finds "https://intranet.example.com/wiki/Page", "1.2" finds "1.2.3").

The `unaccent` extension (trusted since PostgreSQL 13: the database's owner may create it, no superuser needed), an
accent-insensitive copy of every built-in text search configuration (`english_unaccent`…, so any SEARCH_LANGUAGE
works at once; a configuration of one's own gets its copy from `search_backfill`). SQLite's FTS5 did all this already.

The search vectors were rebuilt here with it and with paths apart (search/services.py `PATH_SEPARATOR`). The rule
has since widened (a separator before any character but a blank, a URL's user and host, addresses without their
accents) and 0008 rebuilds the vectors for all of it: a database upgraded past both rewrites every document once,
not twice.
"""

from django.conf import settings
from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

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


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0006_hyphens_between_words"),
    ]

    operations = [
        UnaccentExtension(),  # does nothing on other databases
        migrations.RunPython(create_configurations, drop_configurations),
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),  # the rebuild, now 0008's
    ]
