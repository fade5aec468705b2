"""Which macros a user may use: their own, those shared with everyone, and those shared with a team of theirs."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q, QuerySet

from accounts.permissions import AnyUser, can_manage_users, is_staff_member
from helpdesk.sql import CompiledQuery
from macros.filters import MacroFilter
from macros.models import Macro, MacroVisibility
from tickets.models import Category, Team
from tickets.naming import Named, Naming, by_pk


def macros_visible_to(user: AnyUser) -> QuerySet[Macro]:
    macros = Macro.objects.select_related("owner", "shared_team", "set_assignee", "set_team")
    if not is_staff_member(user):
        return macros.none()
    if can_manage_users(user):
        return macros
    return macros.filter(_shared_with(user.pk))


def _shared_with(user_id: int) -> Q:
    """The macros an agent who does not manage users may use: their own, and those shared with them."""
    return (
        Q(owner=user_id)
        | Q(visibility=MacroVisibility.EVERYONE)
        | Q(visibility=MacroVisibility.TEAM, shared_team__in=Team.objects.filter(members=user_id).values("pk"))
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


def _ticket_page_macros(*user_id: int, variant: bool) -> QuerySet[Macro]:
    """macros_visible_to a staff member, reading only what the staff ticket page shows: every macro for one who
    manages users (`variant`), else those shared with `user_id`."""
    macros = Macro.objects.select_related("set_assignee", "set_team").only(*TICKET_PAGE_COLUMNS)
    return macros if variant else macros.filter(_shared_with(*user_id))


# Compiled once per process (helpdesk.sql): the ORM took longer to compile this query, on every view of a ticket,
# than the database to answer it. The owners, the shared teams and most of the users' columns are not read: the page
# never shows them.
_TICKET_PAGE_MACROS = CompiledQuery(_ticket_page_macros)


def macros_for_ticket_page(user: AnyUser) -> list[Macro]:
    """The macros of macros_visible_to(user), with the columns the staff ticket page shows."""
    if not is_staff_member(user):
        return []
    if can_manage_users(user):
        return _TICKET_PAGE_MACROS.objects(variant=True)
    return _TICKET_PAGE_MACROS.objects(user.pk, variant=False)


def macros_naming(rows: Sequence[Named]) -> list[Naming]:
    """The macros whose action names one of `rows` (teams or agents, all of one kind; a macro names no category),
    and the shared macros an agent of `rows` owns: others use those, and they would go with the account (the owner's
    foreign key cascades).

    Not an agent's own personal macros, which go with their account; nor a chosen assignee that "assign to the agent
    using it" overrides, which is never used."""
    if not rows or isinstance(rows[0], Category):
        return []
    if isinstance(rows[0], Team):
        macros, field, does = Macro.objects.filter(set_team__in=rows), "set_team_id", "sets"
    else:
        macros = Macro.objects.filter(set_assignee__in=rows, assign_to_me=False).exclude(owner__in=rows)
        field, does = "set_assignee_id", "assigns to"
    named = by_pk(rows)
    found = [
        Naming(f"Macro “{macro.name}”", does, named[getattr(macro, field)]) for macro in macros.order_by("name", "pk")
    ]
    if isinstance(rows[0], Team):
        return found
    shared = Macro.objects.filter(owner__in=rows).exclude(visibility=MacroVisibility.PERSONAL).order_by("name", "pk")
    return found + [
        Naming(
            f"Macro “{macro.name}” (shared)",
            "belongs to",
            named[macro.owner_id],
            remedy="give it to someone else or delete it first",
        )
        for macro in shared
    ]
