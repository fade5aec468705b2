"""Saved conditions whose status list has an empty item ("open," or ",") get it dropped.

The ticket filters read `status` as a comma-separated list. They used to pass an empty item over ("open," was "open",
"," matched no ticket); now they refuse it (a 400 in the API), and conditions that no longer validate match nothing. A
client could have saved such a list through the API in a view, an automation rule or an SLA policy: here it becomes
the list it always meant ("open,": "open"). A list of nothing but commas matched no ticket, and still matches none:
it is left as it is (dropped, it would have a rule or a policy act on every ticket). Every other condition is left
as it is. Written out here rather than read from the app, which may
change after this migration.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

SAVED_CONDITIONS = [("queues", "SavedView"), ("automations", "Rule"), ("sla", "SlaPolicy")]


def _without_empty_items(conditions: Any) -> dict[str, Any] | None:
    """The conditions with their status list mended, or None when there is nothing to mend."""
    if not isinstance(conditions, dict) or not isinstance(conditions.get("status"), str):
        return None
    items = conditions["status"].split(",")
    if "" not in items or not any(items):
        return None
    return {**conditions, "status": ",".join(item for item in items if item)}


def status_lists_without_empty_items(apps: Any, schema_editor: Any) -> None:
    for app_label, model_name in SAVED_CONDITIONS:
        model = apps.get_model(app_label, model_name)
        for row in model.objects.filter(conditions__has_key="status").only("pk", "conditions").iterator():
            mended = _without_empty_items(row.conditions)
            if mended is not None:
                model.objects.filter(pk=row.pk).update(conditions=mended)


class Migration(migrations.Migration):
    dependencies = [
        ("queues", "0003_saved_recently_solved_keeps_moving"),
        ("automations", "0002_after_minutes_at_most_ten_years"),
        ("sla", "0002_default_calendar"),
    ]

    # Going back leaves the mended lists as they are: they mean what the old ones did.
    operations = [migrations.RunPython(status_lists_without_empty_items, migrations.RunPython.noop)]
