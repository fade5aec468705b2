"""Deleting what tickets point to (a team, a tag, an agent's account), from the admin.

The database would drop them from their tickets on its own (SET_NULL, the tags' join rows), leaving no trace in the
tickets' history and telling no rule, webhook or SLA clock. Here each ticket loses them first as an edit by `actor`,
recorded like any other, and the row goes only after, all in one transaction.

The row being deleted is locked first: a ticket given the team (the tag, the agent) meanwhile waits for that lock
(the foreign key's check takes a share of it), so no ticket joins after the tickets were listed and loses it
unrecorded; that edit fails once the row is gone, as any edit naming a deleted row does. A ticket moved off it
meanwhile (which waits for no lock) is left as it now is.

Each ticket is one edit, in the request: at most REMOVAL_LIMIT of them (a few seconds), as for a bulk action in the
queue. A team, tag or agent with more tickets, or several chosen together with more between them, is not deleted
(`removal_refusals`, which the admin shows as what protects it): move some of the tickets first, in the queue with
"all matching", or delete fewer at once.

Nor is a team, an agent or a category that configuration names (tickets.naming): a rule, a macro, a category, a
mailbox or an SLA policy would lose it unnoticed, and go on doing less than it says. The admin changes those first.
The admin's confirmation page lists them; each deletion asks again once it holds the row's lock, and refuses
(InvalidValue) what was saved naming the row in between. A rule, macro, category, mailbox or SLA policy being saved
keeps each row it names, by foreign key or by id in its conditions, as a ticket edit does
(tickets.services.common.ensure_configured_rows_remain): the deletion waits for that save and then sees it, or the
save waits for the deletion and is told the row is gone.
Likewise a row kept by a protecting foreign key (a category's tickets, an account's requests and comments) that
gained it in between is refused, not left to fail with a server error.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Model, ProtectedError, QuerySet

from accounts.models import User
from automations.selectors import rules_naming
from helpdesk.errors import InvalidValue
from inbound.selectors import mailboxes_naming
from macros.selectors import macros_naming
from sla.selectors import sla_policies_naming
from tickets.models import Category, Tag, Team, Ticket
from tickets.naming import Named, Naming, described
from tickets.selectors import categories_naming
from tickets.services.common import caused_by, lock_order, ticket_locked_keeping_what_it_names
from tickets.services.tags import ticket_untag
from tickets.services.triage import TicketChanges, ticket_update

REMOVAL_LIMIT = 1000  # tickets changed by one deletion, each a recorded edit


def removal_refusals(objs: Sequence[Model]) -> list[str]:
    """Why these teams, tags, accounts or categories (one, or the selected ones together, all of one kind) are not
    to be deleted: too many tickets to change in one request, or configuration naming them. Empty when they may go."""
    return [*_too_many_tickets(objs), *_configuration_naming(objs)]


def _too_many_tickets(objs: Sequence[Model]) -> list[str]:
    if not objs or isinstance(objs[0], Category):
        return []  # a category's tickets protect it (on_delete=PROTECT): none are changed
    total = sum(_tickets_of(obj).count() for obj in objs)
    if total <= REMOVAL_LIMIT:
        return []
    losing = f"“{objs[0]}”" if len(objs) == 1 else f"one of the {len(objs)} chosen"
    return [
        f"{total:,} tickets that would each lose {losing}: more than {REMOVAL_LIMIT:,} to change at once. "
        "Move some of them first (in the queue, with all matching), or delete fewer at once."
    ]


# Each app says what of its configuration names a team, an agent or a category.
_NAMING_SELECTORS = (rules_naming, macros_naming, categories_naming, mailboxes_naming, sla_policies_naming)


def _configuration_naming(objs: Sequence[Model]) -> list[str]:
    if not objs or not isinstance(objs[0], Team | User | Category):
        return []  # a tag is named by its name, which a rule's tagging recreates
    rows: list[Named] = list(objs)  # type: ignore[arg-type]  # all of one kind, checked above
    namings: list[Naming] = [naming for selector in _NAMING_SELECTORS for naming in selector(rows)]
    return [f"{n.what} {n.does} {described(n.row)}: {n.remedy}." for n in namings]


def _refuse_if_named(row: Named) -> None:
    """Asked again under the row's lock: configuration saved naming it since the admin's page asked keeps it."""
    if refusals := _configuration_naming([row]):
        raise _refused(row, refusals)


def _delete_unless_protected(row: Named) -> None:
    """Delete `row`, refusing it when a protecting foreign key (a category's tickets) gained it since the page asked."""
    try:
        row.delete()
    except ProtectedError as protected:
        by_model: dict[type[Model], int] = {}
        for obj in protected.protected_objects:
            by_model[type(obj)] = by_model.get(type(obj), 0) + 1
        reasons = [
            f"1 {m._meta.verbose_name} still has it." if n == 1 else f"{n} {m._meta.verbose_name_plural} still have it."
            for m, n in by_model.items()
        ]
        raise _refused(row, reasons) from protected


def _refused(row: Named, reasons: list[str]) -> InvalidValue:
    what = described(row)
    return InvalidValue(f"{what[:1].upper()}{what[1:]} was not deleted.", details={"deletion": reasons})


def _tickets_of(obj: Model) -> QuerySet[Ticket]:
    if isinstance(obj, Team):
        return Ticket.objects.filter(team=obj)
    if isinstance(obj, Tag):
        return Ticket.objects.filter(tags=obj)
    return Ticket.objects.filter(assignee=obj)


def removals_lock(*, rows: Sequence[Team | User | Tag]) -> None:
    """Lock the teams (accounts, tags) deleted together, all of them in lock_order, before the first one's tickets
    are edited: the one order is the rows, then the tickets. An edit keeps the rows it names, and the tags it sets,
    before it locks its ticket (tickets.services.triage.ticket_update); a deletion that locked the second row only
    after it had locked the first row's tickets could hold a ticket such an edit waits for while it waits for a row
    that edit keeps (a ticket moved from the first team to the second), and PostgreSQL would end one of the two as a
    deadlock (a 503).
    Call it inside the deletions' transaction."""
    for model, pk in sorted({(type(row), row.pk) for row in rows}, key=lock_order):
        model._default_manager.select_for_update().filter(pk=pk).exists()


@transaction.atomic
def team_delete(*, team: Team, actor: User) -> None:
    team = Team.objects.select_for_update().get(pk=team.pk)
    _refuse_if_named(team)
    _unset_on_tickets(team, field="team", actor=actor, reason=f"team “{team.name}” deleted")
    _delete_unless_protected(team)


@transaction.atomic
def tag_delete(*, tag: Tag, actor: User) -> None:
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    with caused_by(f"tag “{tag.name}” deleted"):
        for ticket in _tickets_of(tag).order_by("pk").only("pk"):
            ticket_untag(ticket=ticket, actor=actor, tag=tag)  # checks, under the ticket's lock, that it has it
    tag.delete()


@transaction.atomic
def user_delete(*, user: User, actor: User) -> None:
    """Here rather than in accounts.services: the tickets assigned to the user are unassigned first."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _refuse_if_named(user)
    _unset_on_tickets(user, field="assignee", actor=actor, reason=f"account of {user.display_name} deleted")
    _delete_unless_protected(user)


@transaction.atomic
def category_delete(*, category: Category, actor: User) -> None:
    """No ticket is changed: a category's tickets keep it (on_delete=PROTECT). Locked first all the same, so that a
    ticket given the category meanwhile waits, and one given it before is seen, and refuses the deletion."""
    category = Category.objects.select_for_update().get(pk=category.pk)
    _refuse_if_named(category)
    _delete_unless_protected(category)


def _unset_on_tickets(obj: Team | User, *, field: str, actor: User, reason: str) -> None:
    """Each ticket whose `field` is `obj` loses it as an edit by `actor`; one changed meanwhile keeps what it has.
    What the ticket names, and `actor`, are kept before its lock, as ticket_update keeps them before a lock of its
    own: kept only under the lock (in ticket_update), a team another deletion held while it waited for the ticket
    would be a deadlock."""
    with caused_by(reason):
        for ticket in _tickets_of(obj).order_by("pk").only("pk"):
            locked = ticket_locked_keeping_what_it_names(ticket.pk, also={(User, actor.pk)})
            if locked is not None and getattr(locked, f"{field}_id") == obj.pk:
                ticket_update(ticket=locked, actor=actor, changes=TicketChanges(**{field: None}))
