"""PostgreSQL: the search vectors were rebuilt here when every hyphen between two word characters ("vpn-drops",
"ORD-12345") became a separator (search/services.py `WORD_HYPHEN`). The vectors have since become accent-insensitive
and split paths too (`PATH_SEPARATOR`), and 0007 rebuilds them for all of it: a database upgraded past both rewrites
every document once, not twice. Nothing to do here.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0005_numbers_after_hyphens"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
