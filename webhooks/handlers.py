"""What the webhooks app does when something happens (see events/registry.py): every kind may be sent out, and an
endpoint the worker disabled is told to the admins."""

from __future__ import annotations

from events.models import EventKind
from events.registry import on
from webhooks import tasks

for kind in EventKind:
    on(kind, tasks.webhooks_fan_out)
on(EventKind.WEBHOOK_DISABLED, tasks.mail_admins_of_disabled_endpoint)
