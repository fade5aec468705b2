"""Pieces every ticket service uses: the row lock, refusals of staff-only fields and assignees, and the reason an
admin's change to what tickets point to gives their history."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager

from django.db import connection
from django.db.models import Model

from accounts.models import User
from events.services import current_cause, events_caused_by
from helpdesk.errors import InvalidValue
from tickets.models import Category, Team, Ticket


def lock_ticket(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock so concurrent edits are applied one after the other."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def staff_only(fields: dict[str, object]) -> dict[str, list[str]]:
    return {name: ["Only agents and admins may set this field."] for name, given in fields.items() if given}


def validate_assignee(assignee: User | None) -> None:
    if assignee is not None and not assignee.is_agent_or_admin:
        raise InvalidValue("Invalid assignee.", details={"assignee": ["Tickets can only be assigned to agents."]})


# The rows a ticket may be pointed to (opened with, or edited to), and what to call one that is gone.
NAMED_ROWS: dict[str, tuple[type[Model], str]] = {
    "assignee": (User, "agent"),
    "team": (Team, "team"),
    "category": (Category, "category"),
}


def ensure_named_rows_remain(rows: Mapping[str, Model | None]) -> None:
    """Refuse a write pointing a ticket to a team, agent or category (`rows`, by field) deleted since it was chosen.

    The caller validated the row (a form, a serializer, a macro, a mailbox's or category's routing) before an admin's
    deletion committed: the database would only find it missing at our commit (its foreign keys are checked then) and
    fail with an IntegrityError, after the write was taken for done.
    """
    for field, row in rows.items():
        model, noun = NAMED_ROWS[field]
        if row is not None and not _row_kept(model, row.pk):
            raise InvalidValue(
                f"The {noun} you chose was deleted meanwhile.", details={field: [f"This {noun} no longer exists."]}
            )


def _row_kept(model: type[Model], pk: int) -> bool:
    """Whether the row exists, keeping it so until our commit.

    On PostgreSQL it is read FOR KEY SHARE, the lock the foreign key's own check takes: a deletion under way (which
    locks the row first: tickets/services/removal.py) is waited for and then seen, and one that starts later waits
    for this write, then finds the ticket pointing to the row. The lock keeps no other write naming the row, nor an
    edit of the row itself, waiting. SQLite lets one writer at a time in, so a plain read is as good there.
    """
    sql, params = model._default_manager.filter(pk=pk).values("pk").query.sql_with_params()
    if connection.vendor == "postgresql":
        sql += " FOR KEY SHARE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def caused_by(label: str) -> AbstractContextManager[None]:
    """The edits recorded inside say why the ticket changed: "via team “Support” deleted"."""
    return events_caused_by({**(current_cause() or {}), "label": label})
