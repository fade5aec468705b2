"""Which macros a user may use: their own, those shared with everyone, and those shared with a team of theirs."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.permissions import AnyUser, can_manage_users, is_staff_member
from macros.filters import MacroFilter
from macros.models import Macro, MacroVisibility


def macros_visible_to(user: AnyUser) -> QuerySet[Macro]:
    macros = Macro.objects.select_related("owner", "shared_team", "set_assignee", "set_team")
    if not is_staff_member(user):
        return macros.none()
    if can_manage_users(user):
        return macros
    return macros.filter(
        Q(owner=user)
        | Q(visibility=MacroVisibility.EVERYONE)
        | Q(visibility=MacroVisibility.TEAM, shared_team__in=user.teams.values("pk"))
    )


def macros_matching(user: AnyUser, text: str) -> QuerySet[Macro]:
    return MacroFilter({"q": text}, queryset=macros_visible_to(user)).qs


# What the staff ticket page shows of a macro: its name, its text and its actions (macro_describe_actions).
TICKET_PAGE_COLUMNS = (
    "name",
    "body",
    "internal",
    "set_status",
    "set_priority",
    "add_tags",
    "assign_to_me",
    "set_assignee__name",
    "set_assignee__email",
    "set_team__name",
)


def macros_for_ticket_page(user: AnyUser) -> QuerySet[Macro]:
    """macros_visible_to, reading only what the staff ticket page shows: the owners, the shared teams and most of
    the users' columns were read (and compiled into the query) on every view of a ticket, and never shown."""
    return (
        macros_visible_to(user)
        .select_related(None)
        .select_related("set_assignee", "set_team")
        .only(*TICKET_PAGE_COLUMNS)
    )
