"""What the automations app does when something happens (see events/registry.py)."""

from __future__ import annotations

from automations import tasks
from automations.services import TRIGGER_OF_EVENT
from events.registry import on

for kind in TRIGGER_OF_EVENT:
    on(kind, tasks.run_trigger_rules)
