from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.models import Role, User
from accounts.verification import proven_address_exists, remember_address_proven
from helpdesk.sql import CompiledQuery

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


def _user_by_id(pk: int) -> QuerySet[User]:
    return User._default_manager.annotate(address_proven=proven_address_exists()).filter(pk=pk).order_by()


# Every signed-in request loads its user: compiled once per process, as the bearer token's lookup is.
_USER_LOOKUP = CompiledQuery(_user_by_id)


class RoleBackend(ModelBackend):
    """Email + password sign-in, with Django permissions granted by role instead of by stored groups.

    Admins are superusers (every permission); agents get AGENT_ADMIN_PERMISSIONS; requesters get none.
    """

    def get_user(self, user_id: Any) -> User | None:
        """The session's user, with whether its address is proven answered in the same query (every door asks)."""
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = _USER_LOOKUP.first(pk)
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_address_proven(user, user.address_proven)
        return user

    def get_all_permissions(self, user_obj: Any, obj: object = None) -> set[str]:
        permissions = set(super().get_all_permissions(user_obj, obj))
        if obj is None and user_obj.is_active and getattr(user_obj, "role", None) == Role.AGENT:
            permissions |= AGENT_ADMIN_PERMISSIONS
        return permissions
