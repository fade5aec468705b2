"""What the webhooks app does when something happens (see events/registry.py): every kind may be sent out."""

from __future__ import annotations

from events.models import EventKind
from events.registry import on
from webhooks import tasks

for kind in EventKind:
    on(kind, tasks.webhooks_fan_out)
