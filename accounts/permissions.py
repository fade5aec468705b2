"""Questions about a person's role, asked by every app: is this staff, may they manage users."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from accounts.models import User

AnyUser = User | AnonymousUser


def is_staff_member(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_agent_or_admin)


def can_list_users(user: AnyUser) -> bool:
    return is_staff_member(user)


def can_manage_users(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def why_cannot_be_assigned(user: User) -> str | None:
    """Why tickets cannot be assigned to `user` (None: they can), for a form to say next to its field. Forms offer
    every agent, and one may have been deactivated since a macro naming them was written."""
    if user.is_agent_or_admin:
        return None
    why = "is deactivated" if not user.is_active else "is not an agent"
    return f"{user.display_name} {why}: tickets can only be assigned to active agents."
