"""A fresh install has a default calendar (Monday to Friday, 9 to 17, UTC) for admins to adjust."""

from __future__ import annotations

from datetime import time

from django.db import migrations


def create_default_calendar(apps, schema_editor) -> None:
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    OpeningHours = apps.get_model("sla", "OpeningHours")
    if BusinessCalendar.objects.exists():
        return
    calendar = BusinessCalendar.objects.create(name="Office hours", time_zone="UTC", is_default=True)
    OpeningHours.objects.bulk_create(
        OpeningHours(calendar=calendar, weekday=weekday, opens=time(9), closes=time(17)) for weekday in range(5)
    )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create_default_calendar, migrations.RunPython.noop)]
