"""PostgreSQL: the search vectors were rebuilt here when a hyphen between a word and a digit ("ORD-12345") became a
separator (search/services.py `NUMBER_HYPHEN`). That rule has since widened to every hyphen between two word
characters (`WORD_HYPHEN`), and 0006 rebuilds the vectors for it: a database upgraded past both rewrites every
document once, not twice. Nothing to do here.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0004_vector_statistics"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
