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
