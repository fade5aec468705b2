"""Which kinds of mail a user may turn off, and what they get when they have not chosen."""

from __future__ import annotations

from accounts.models import User
from notifications.models import NotificationKind, NotificationPreference

# What a requester hears about their own tickets.
REQUESTER_KINDS = (
    NotificationKind.TICKET_CREATED,
    NotificationKind.PUBLIC_REPLY,
    NotificationKind.RESOLVED,
    NotificationKind.CSAT_SURVEY,
)
# What an agent hears about the work in their care.
STAFF_KINDS = (
    NotificationKind.ASSIGNED,
    NotificationKind.REQUESTER_REPLIED,
    NotificationKind.TEAM_NEW_TICKET,
    NotificationKind.SLA_ESCALATION,
)
# Not listed, never turned off: a private link the user's request needs, an admin's automation rule, and the
# admins' notice that the worker disabled a webhook endpoint.
DEFAULTS: dict[str, bool] = {kind: True for kind in (*REQUESTER_KINDS, *STAFF_KINDS)}


def kinds_for(user: User) -> tuple[NotificationKind, ...]:
    """The kinds a user's page lists: staff file tickets too, so they see both lists."""
    return (*STAFF_KINDS, *REQUESTER_KINDS) if user.is_agent_or_admin else REQUESTER_KINDS


def preferences_of(user: User) -> dict[str, bool]:
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "enabled"))
    return {kind: chosen.get(kind, DEFAULTS[kind]) for kind in kinds_for(user)}


def wants(user: User, kind: str) -> bool:
    if kind not in DEFAULTS:
        return True
    chosen = NotificationPreference.objects.filter(user=user, kind=kind).values_list("enabled", flat=True).first()
    return DEFAULTS[kind] if chosen is None else chosen
