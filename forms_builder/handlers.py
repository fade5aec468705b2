"""What the forms app does when something happens (see events/registry.py)."""

from __future__ import annotations

from events.models import EventKind
from events.registry import on
from forms_builder import tasks

on(EventKind.PRIVATE_LINK_REISSUED, tasks.mail_new_private_link)
