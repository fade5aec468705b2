"""Writes of the queue: saved views (create, change, reorder, delete) and bulk actions on many tickets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from accounts.models import User
from helpdesk.errors import InvalidValue, NotPermitted
from queues import permissions
from queues.models import SavedView, Sort
from tickets.models import Team


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
    conditions: Mapping[str, str],
    sort: str = Sort.NEWEST,
    team: Team | None = None,
) -> SavedView:
    if not permissions.can_use_views(owner):
        raise NotPermitted("Only agents and admins have views.")
    _check_team(owner, team)
    last = SavedView.objects.filter(owner=owner).aggregate(last=Max("position"))["last"]
    view = SavedView(
        owner=owner,
        name=name.strip(),
        conditions=dict(conditions),
        sort=sort,
        team=team,
        position=0 if last is None else last + 1,
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
