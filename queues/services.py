"""Writes of the queue: saved views (create, change, reorder, delete) and bulk actions on many tickets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from accounts.models import User
from helpdesk.errors import DomainError, InvalidTransition, InvalidValue, NotPermitted
from queues import permissions
from queues.models import SavedView, Sort
from tickets.models import Category, Team, Ticket
from tickets.services import UNSET, TicketChanges, rows_an_edit_names, ticket_update
from tickets.services.common import lock_ticket_keeping
from tickets.services.merge import ticket_merge


def _validated(view: SavedView) -> SavedView:
    try:
        view.full_clean(exclude=["owner"])
    except ValidationError as error:
        raise InvalidValue("The view is not valid.", details=error.message_dict) from error
    return view


def _check_team(owner: User, team: Team | None) -> None:
    if team is not None and not permissions.can_share_with(owner, team):
        raise NotPermitted(
            "You can share a view only with a team you are a member of.",
            details={"team": ["You are not a member of this team."]},
        )


@transaction.atomic
def saved_view_create(
    *,
    owner: User,
    name: str,
    conditions: Mapping[str, str] | None = None,
    sort: str = Sort.NEWEST,
    team: Team | None = None,
    position: int | None = None,
) -> SavedView:
    """A new view, last in the owner's order unless `position` says where."""
    if not permissions.can_use_views(owner):
        raise NotPermitted("Only agents and admins have views.")
    _check_team(owner, team)
    last = SavedView.objects.filter(owner=owner).aggregate(last=Max("position"))["last"]
    view = SavedView(
        owner=owner,
        name=name.strip(),
        conditions=dict(conditions or {}),
        sort=sort,
        team=team,
        position=position if position is not None else (0 if last is None else last + 1),
    )
    _validated(view).save()
    return view


@transaction.atomic
def saved_view_update(*, view: SavedView, actor: User, **changes: Any) -> SavedView:
    """Change a view's `name`, `conditions`, `sort`, `team` or `position` (only those given)."""
    if not permissions.can_change_view(actor, view):
        raise NotPermitted("Only the owner of a view may change it.")
    if "team" in changes:
        _check_team(actor, changes["team"])
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()
    if "conditions" in changes:
        changes["conditions"] = dict(changes["conditions"])
    for name, value in changes.items():
        setattr(view, name, value)
    _validated(view).save()
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor: User) -> None:
    if not permissions.can_change_view(actor, view):
        raise NotPermitted("Only the owner of a view may delete it.")
    view.delete()


@transaction.atomic
def saved_view_move(*, view: SavedView, actor: User, up: bool) -> None:
    """Swap the view with its neighbour in the owner's order; positions are renumbered 0, 1, 2… on the way."""
    if not permissions.can_change_view(actor, view):
        raise NotPermitted("Only the owner of a view may move it.")
    views = list(SavedView.objects.select_for_update().filter(owner=actor).order_by("position", "id"))
    index = next(i for i, candidate in enumerate(views) if candidate.pk == view.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(views):
        views[index], views[other] = views[other], views[index]
    for position, candidate in enumerate(views):
        if candidate.position != position:
            candidate.position = position
            candidate.save(update_fields=["position"])


# --- Bulk actions ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkChanges:
    """What to do to every selected ticket. Fields left UNSET are not touched; tags are added and removed."""

    status: str | object = UNSET
    priority: int | object = UNSET
    assignee: User | object | None = UNSET
    team: Team | object | None = UNSET
    category: Category | object | None = UNSET
    add_tags: Sequence[str] = ()
    remove_tags: Sequence[str] = ()
    merge_into: Ticket | None = None  # merge every selected ticket into this one (an action on its own)

    def is_empty(self) -> bool:
        fields = (self.status, self.priority, self.assignee, self.team, self.category)
        nothing = all(value is UNSET for value in fields) and not self.add_tags and not self.remove_tags
        return nothing and self.merge_into is None


@dataclass
class BulkOutcome:
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)  # already as asked: nothing to do
    refused: dict[str, list[int]] = field(default_factory=dict)  # why → the tickets refused for that reason

    def refuse(self, reason: str, ticket_id: int) -> None:
        self.refused.setdefault(reason, []).append(ticket_id)


def _ticket_changes(ticket: Ticket, changes: BulkChanges) -> TicketChanges:
    """Only what differs on this ticket, so its audit trail records real edits and an unchanged ticket is skipped."""
    differs: dict[str, Any] = {}
    if changes.status is not UNSET and changes.status != ticket.status:
        differs["status"] = changes.status
    if changes.priority is not UNSET and changes.priority != ticket.priority:
        differs["priority"] = changes.priority
    for name in ("assignee", "team", "category"):
        value = getattr(changes, name)
        if value is not UNSET and getattr(value, "pk", None) != getattr(ticket, f"{name}_id"):
            differs[name] = value
    if changes.add_tags or changes.remove_tags:
        current = sorted(ticket.tags.values_list("name", flat=True))
        wanted = sorted({*current, *changes.add_tags} - set(changes.remove_tags))
        if wanted != current:
            differs["tags"] = wanted
    return TicketChanges(**differs)


def tickets_bulk_update(*, ticket_ids: Sequence[int], actor: User, changes: BulkChanges) -> BulkOutcome:
    """Apply the same change to many tickets, each through `ticket_update` in a transaction of its own.

    Each ticket is locked and compared as it is now, so a change made by someone else in the meantime is neither
    lost nor overwritten with stale values; a ticket the workflow or permissions refuse is left entirely unchanged
    and counted with the reason, and the others go ahead.
    """
    if changes.merge_into is not None:
        return _tickets_bulk_merge(ticket_ids=ticket_ids, actor=actor, target=changes.merge_into)
    outcome = BulkOutcome()
    for ticket_id in ticket_ids:
        old_status = None
        try:
            with transaction.atomic():
                ticket = _ticket_locked_keeping_what_the_edit_names(ticket_id, actor=actor, changes=changes)
                wanted = _ticket_changes(ticket, changes)
                if wanted == TicketChanges():
                    outcome.unchanged.append(ticket_id)
                    continue
                old_status = ticket.status
                ticket_update(ticket=ticket, actor=actor, changes=wanted)
        except Ticket.DoesNotExist:
            outcome.refuse("were deleted meanwhile", ticket_id)
        except InvalidTransition as error:
            target = changes.status if changes.status is not UNSET else "?"
            reason = f"could not move to {target}: {old_status}" if old_status else f"were refused: {error.message}"
            outcome.refuse(reason, ticket_id)
        except DomainError as error:
            outcome.refuse(f"were refused: {error.message}", ticket_id)
        else:
            outcome.changed.append(ticket_id)
    return outcome


def _ticket_locked_keeping_what_the_edit_names(ticket_id: int, *, actor: User, changes: BulkChanges) -> Ticket:
    """The ticket under its row lock, kept first: what it names, the actor, and the agent, team, category and added
    tags the change asks for (tickets.services.triage.rows_an_edit_names), as ticket_update keeps them before a lock
    of its own. Kept only under this lock, a row a deletion held while it waited for the ticket was a deadlock."""
    asked = TicketChanges(
        assignee=changes.assignee, team=changes.team, category=changes.category, tags=changes.add_tags or UNSET
    )
    return lock_ticket_keeping(ticket_id, also=rows_an_edit_names(actor=actor, changes=asked))


def _tickets_bulk_merge(*, ticket_ids: Sequence[int], actor: User, target: Ticket) -> BulkOutcome:
    """Merge each selected ticket into `target` through `ticket_merge`, one transaction each; the target itself,
    if selected, is left as it is."""
    outcome = BulkOutcome()
    for ticket_id in ticket_ids:
        if ticket_id == target.pk:
            outcome.unchanged.append(ticket_id)
            continue
        try:
            source = Ticket.objects.get(pk=ticket_id)
            ticket_merge(source=source, target=target, actor=actor)
        except Ticket.DoesNotExist:
            outcome.refuse("were deleted meanwhile", ticket_id)
        except DomainError as error:
            outcome.refuse(f"could not be merged into #{target.pk}: {error.message}", ticket_id)
        else:
            outcome.changed.append(ticket_id)
    return outcome
