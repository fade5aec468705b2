from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from accounts.models import Role

# What an agent may do in the Django admin: work tickets, not configure the helpdesk.
AGENT_ADMIN_PERMISSIONS = frozenset(
    {
        "tickets.view_ticket",
        "tickets.add_ticket",
        "tickets.change_ticket",
        "tickets.view_comment",
        "tickets.add_comment",
        "tickets.view_attachment",
        "tickets.view_ticketevent",
        "tickets.view_category",
        "tickets.view_team",
        "tickets.view_tag",
        "tickets.add_tag",
        "accounts.view_user",
    }
)


class RoleBackend(ModelBackend):
    """Email + password sign-in, with Django permissions granted by role instead of by stored groups.

    Admins are superusers (every permission); agents get AGENT_ADMIN_PERMISSIONS; requesters get none.
    """

    def get_all_permissions(self, user_obj: Any, obj: object = None) -> set[str]:
        permissions = set(super().get_all_permissions(user_obj, obj))
        if obj is None and user_obj.is_active and getattr(user_obj, "role", None) == Role.AGENT:
            permissions |= AGENT_ADMIN_PERMISSIONS
        return permissions
