"""What the CSAT app does when something happens (see events/registry.py)."""

from __future__ import annotations

from csat import tasks
from events.models import EventKind
from events.registry import on

on(EventKind.STATUS_CHANGED, tasks.ask_for_rating)
