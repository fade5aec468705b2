"""What the tickets app does when something happens (see events/registry.py)."""

from __future__ import annotations

from events.models import EventKind
from events.registry import on
from tickets import tasks

on(EventKind.COMMENT_ADDED, tasks.mail_requester_about_reply)
on(EventKind.STATUS_CHANGED, tasks.mail_requester_about_resolution)
on(EventKind.ASSIGNEE_CHANGED, tasks.mail_new_assignee)
