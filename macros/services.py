"""Writes for macros, and applying one to a ticket: the reply and the actions go through tickets.services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import why_cannot_be_assigned
from events.services import one_edit
from helpdesk.errors import InvalidValue, NothingChanged, NotPermitted
from macros import permissions
from macros.models import Macro, MacroVisibility
from macros.placeholders import render_placeholders
from tickets.models import BODY_MAX_CHARS, Comment, Ticket
from tickets.services import (
    UNSET,
    TicketChanges,
    comment_create,
    normalize_tag_names,
    rows_an_edit_names,
    ticket_update,
)
from tickets.services.common import Row, ensure_configured_rows_remain, lock_ticket

EDITABLE_FIELDS = (
    "name",
    "body",
    "internal",
    "visibility",
    "shared_team",
    "set_status",
    "set_priority",
    "add_tags",
    "set_assignee",
    "assign_to_me",
    "set_team",
)


def _validate(macro: Macro, *, named_rows_kept: bool = False) -> None:
    if macro.add_tags.strip():
        macro.add_tags = ", ".join(normalize_tag_names(macro.add_tags.split(",")))
    if macro.visibility != MacroVisibility.TEAM:
        macro.shared_team = None
    if macro.set_assignee is not None and (problem := why_cannot_be_assigned(macro.set_assignee)):
        raise InvalidValue("Invalid assignee.", details={"set_assignee": [problem]})  # who and why, as the page says
    try:
        macro.full_clean()
    except ValidationError as error:
        raise InvalidValue("The macro is not valid.", details=error.message_dict) from error
    if not named_rows_kept:
        ensure_configured_rows_remain(macro)  # kept until the save commits: the owner too, whom a shared macro needs


@transaction.atomic
def macro_save(*, macro: Macro, named_rows_kept: bool = False) -> Macro:
    """Validate and store a macro as edited in the admin (which already checked who may).

    `named_rows_kept`: the caller kept the rows the macro names already, in this transaction (the admin's form,
    helpdesk.admin_support.ConfiguredRowsKeptForm, to say which field names a gone one); not read again."""
    macro.updated_at = timezone.now()
    _validate(macro, named_rows_kept=named_rows_kept)
    macro.save()
    return macro


@transaction.atomic
def macro_create(*, actor: User, **fields: Any) -> Macro:
    if not permissions.can_use_macros(actor):
        raise NotPermitted("Only agents and admins may write macros.")
    macro = Macro(owner=actor, **{name: value for name, value in fields.items() if name in EDITABLE_FIELDS})
    _validate(macro)
    macro.save()
    return macro


@transaction.atomic
def macro_update(*, macro: Macro, actor: User, **fields: Any) -> Macro:
    if not permissions.can_change_macro(actor, macro):
        raise NotPermitted("Only its owner or an admin may change this macro.")
    for name, value in fields.items():
        if name in EDITABLE_FIELDS:
            setattr(macro, name, value)
    macro.updated_at = timezone.now()
    _validate(macro)
    macro.save()
    return macro


@transaction.atomic
def macro_delete(*, macro: Macro, actor: User) -> None:
    if not permissions.can_change_macro(actor, macro):
        raise NotPermitted("Only its owner or an admin may delete this macro.")
    macro.delete()


def macro_render(*, macro: Macro, ticket: Ticket, agent: User) -> str:
    return render_placeholders(macro.body, ticket=ticket, agent=agent)


def macro_changes(*, macro: Macro, ticket: Ticket, actor: User) -> TicketChanges:
    """The macro's actions, except the status (which goes with the reply): only what differs from the ticket."""
    tags: object = UNSET
    if macro.add_tags.strip():
        current = sorted(tag.name for tag in ticket.tags.all())
        added = [name for name in normalize_tag_names(macro.add_tags.split(",")) if name not in current]
        if added:
            tags = current + added
    assignee = actor if macro.assign_to_me else macro.set_assignee
    return TicketChanges(
        priority=_differing(macro.set_priority, ticket.priority),
        assignee=_differing(assignee, ticket.assignee),
        team=_differing(macro.set_team, ticket.team),
        tags=tags,
    )


def _differing(wanted: object, current: object) -> object:
    """A macro's action as a change: UNSET when the macro does not set it (None) or the ticket already has it."""
    return UNSET if wanted is None or wanted == current else wanted


def macro_describe_actions(macro: Macro) -> list[str]:
    """The actions in words, for the ticket page ("This macro will also…") and the macro list."""
    described = []
    if macro.set_status:
        described.append(f"set the status to {macro.get_set_status_display().lower()}")
    if macro.set_priority is not None:
        described.append(f"set the priority to {macro.get_set_priority_display()}")
    if macro.add_tags.strip():
        described.append(f"add the tags {macro.add_tags}")
    if macro.assign_to_me:
        described.append("assign the ticket to you")
    elif macro.set_assignee is not None:
        described.append(f"assign the ticket to {macro.set_assignee.display_name}")
    if macro.set_team is not None:
        described.append(f"move it to the team {macro.set_team.name}")
    return described


@transaction.atomic
@one_edit()  # the reply, the status and the other actions are one change of the ticket, as rules see it
def macro_apply(
    *,
    macro: Macro,
    ticket: Ticket,
    actor: User,
    body: str | None = None,
    internal: bool | None = None,
    status: str | None = None,
    files: Sequence[UploadedFile] = (),
) -> Comment | None:
    """Post the macro's text (or `body`, the agent's edited version of it) and apply its actions, all or nothing:
    an action that cannot be applied refuses the whole macro, saying which and why, and nothing is posted.

    `status` (the agent's "send and set status") wins over the macro's own. The status goes with the reply
    (comment_create's `status`), so the first-reply rule does not override it; the other actions are one triage
    edit, audited field by field.
    """
    if not permissions.can_use_macro(actor, macro):
        raise NotPermitted("You may not use this macro.")
    _refuse_if_nothing_left(macro)
    _refuse_if_assignee_gone(macro)
    text = macro_render(macro=macro, ticket=ticket, agent=actor) if body is None else body
    _refuse_if_too_long(macro, text)
    internal = macro.internal if internal is None else internal
    status = status or macro.set_status or None
    ticket = lock_ticket(ticket, actor=actor, also=rows_a_macro_names(macro=macro, actor=actor))
    _refuse_if_nothing_changes(
        macro=macro, ticket=ticket, actor=actor, posts=bool(text.strip() or files), status=status
    )
    comment = None
    if text.strip() or files:
        comment = comment_create(ticket=ticket, author=actor, body=text, internal=internal, status=status, files=files)
    elif status:
        ticket_update(ticket=ticket, actor=actor, changes=TicketChanges(status=status))
    ticket.refresh_from_db()
    changes = macro_changes(macro=macro, ticket=ticket, actor=actor)
    if changes != TicketChanges():
        ticket_update(ticket=ticket, actor=actor, changes=changes)
    return comment


def rows_a_macro_names(*, macro: Macro, actor: User) -> set[Row]:
    """What applying the macro writes rows naming, to keep before the ticket's lock with what the ticket names: the
    agent applying it (the reply's author, the edit's actor), and the agent, team and tags it sets
    (tickets.services.triage.rows_an_edit_names). Kept only under the lock (in ticket_update), a row a deletion held
    while it waited for the ticket was a deadlock (a 503 to one of the two)."""
    assignee = actor if macro.assign_to_me else macro.set_assignee
    asked = TicketChanges(
        assignee=assignee or UNSET,
        team=macro.set_team or UNSET,
        tags=macro.add_tags.split(",") if macro.add_tags.strip() else UNSET,
    )
    return rows_an_edit_names(actor=actor, changes=asked)


def _refuse_if_nothing_left(macro: Macro) -> None:
    """A macro is saved only with a text or an action (Macro.clean), so one with neither lost its only action when
    the team or agent it set was deleted (SET_NULL keeps no trace of which). Applying it would change nothing while
    the agent is told it was applied."""
    if macro.body.strip() or macro.has_actions:
        return
    message = (
        f"Nothing changed: macro “{macro.name}” has no text and no actions left; the team or agent it set was "
        "deleted. Edit the macro, or send without it."
    )
    raise InvalidValue(message, details={"macro": [message]})


def _refuse_if_too_long(macro: Macro, text: str) -> None:
    """A macro's text fits the limit as saved, but its placeholders are filled in only now (a subject is up to 200
    characters): what would be posted must fit too, as a message typed at any door must."""
    if len(text) <= BODY_MAX_CHARS:
        return
    message = (
        f"Macro “{macro.name}” filled in holds {len(text):,} characters, more than a message may hold "
        f"({BODY_MAX_CHARS:,}): shorten it before sending."
    )
    raise InvalidValue(message, details={"body": [message]})


def _refuse_if_nothing_changes(*, macro: Macro, ticket: Ticket, actor: User, posts: bool, status: str | None) -> None:
    """A macro that posts no text, on a ticket that already has every status, priority, tag, assignee and team it
    sets, would do nothing; the agent is told so rather than that it was applied. A text is always posted."""
    if posts or (status is not None and status != ticket.status):
        return
    if macro_changes(macro=macro, ticket=ticket, actor=actor) != TicketChanges():
        return
    message = f"Nothing changed: the ticket already has everything macro “{macro.name}” sets."
    raise NothingChanged(message, details={"macro": [message]})


def _refuse_if_assignee_gone(macro: Macro) -> None:
    """The agent a macro assigns to may have been deactivated (or made a requester) since it was written. The
    ticket service would refuse them as an "Invalid assignee."; the agent applying the macro is told who and why."""
    assignee = None if macro.assign_to_me else macro.set_assignee
    if assignee is None or assignee.is_agent_or_admin:
        return
    why = "is deactivated" if not assignee.is_active else "is no longer an agent"
    message = (
        f"{assignee.display_name} {why}; the ticket was not assigned. Nothing else of the macro was applied "
        "either: change its assignee, or send without it."
    )
    raise InvalidValue(message, details={"macro": [message]})
