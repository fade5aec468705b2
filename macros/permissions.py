"""Who may use and change macros. Pages, the API and the admin ask these questions."""

from __future__ import annotations

from accounts.permissions import AnyUser, can_manage_users, is_staff_member
from macros.models import Macro, MacroVisibility


def can_use_macros(user: AnyUser) -> bool:
    return is_staff_member(user)


def can_use_macro(user: AnyUser, macro: Macro) -> bool:
    """Mirrors macros.selectors.macros_visible_to for one macro."""
    if not is_staff_member(user):
        return False
    if macro.owner_id == user.pk or macro.visibility == MacroVisibility.EVERYONE or can_manage_users(user):
        return True
    return macro.visibility == MacroVisibility.TEAM and user.teams.filter(pk=macro.shared_team_id).exists()


def can_change_macro(user: AnyUser, macro: Macro) -> bool:
    """Its owner, or an admin (shared macros outlive the agent who wrote them)."""
    return is_staff_member(user) and (macro.owner_id == user.pk or can_manage_users(user))
