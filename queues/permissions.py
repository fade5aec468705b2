"""Who may see or change a saved view: its owner changes it; members of the team it is shared with see it."""

from __future__ import annotations

from accounts.models import User
from accounts.permissions import AnyUser, is_staff_member
from queues.models import SavedView
from tickets.models import Team


def can_use_views(user: AnyUser) -> bool:
    return is_staff_member(user)


def can_change_view(user: AnyUser, view: SavedView) -> bool:
    return is_staff_member(user) and view.owner_id == user.pk


def can_share_with(user: User, team: Team) -> bool:
    """An agent shares with their own teams; an admin with any team."""
    return bool(user.is_superuser or team.members.filter(pk=user.pk).exists())
