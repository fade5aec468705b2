"""What the SLA app does when something happens (see events/registry.py)."""

from __future__ import annotations

from events.models import EventKind
from events.registry import on
from sla import tasks

on(EventKind.SLA_WARNING, tasks.escalate_warning)
on(EventKind.SLA_BREACHED, tasks.escalate_breach)
on(EventKind.TAG_RENAMED, tasks.tag_renamed_clocks_refresh)  # a policy may name the tag: its tickets may meet another
