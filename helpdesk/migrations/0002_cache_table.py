"""The table of the shared cache (helpdesk.cache.SharedDatabaseCache), the default when REDIS_URL is not set.

Made here rather than by `createcachetable`, so `migrate` is all a deployment runs. Kept when Redis is used: it is
empty then, and ready if REDIS_URL is ever unset.
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "helpdesk_cache"


def create_cache_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
