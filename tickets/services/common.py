"""Pieces every ticket service uses: the row lock, refusals of staff-only fields and assignees, and the reason an
admin's change to what tickets point to gives their history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import AbstractContextManager

from django.db import connection, transaction
from django.db.models import Model

from accounts.models import User
from events.services import current_cause, events_caused_by
from helpdesk.errors import AccountGone, InvalidValue
from tickets.filters import id_read
from tickets.models import Category, Team, Ticket
from tickets.naming import ID_CONDITION


def lock_ticket(ticket: Ticket, *, actor: User | None, also: AbstractSet[Row] = frozenset()) -> Ticket:
    """Re-read the ticket under a row lock so concurrent edits are applied one after the other, for a write by
    `actor` (its comment, its audit entries and domain events name their account), and that writes rows naming
    `also` and what the ticket names: all kept first (ticket_locked_keeping).

    An admin deleting the actor's account meanwhile (tickets.services.removal.user_delete, which locks the account
    and then the tickets it is assigned) either went first, and the write is refused (AccountGone, nothing saved),
    or waits for the write and then sees what it saved. Checked only by the foreign keys at our commit, after the
    ticket's lock, the write failed on the gone account (a 500), or waited for the account while the deletion held
    it and waited for the ticket: a deadlock. Ticket.DoesNotExist when the ticket is gone."""
    locked, gone = ticket_locked_keeping(ticket.pk, also={*also, *actor_row(actor)})
    refuse_if_actor_gone(actor, gone)
    if locked is None:
        raise Ticket.DoesNotExist
    return locked


def actor_row(actor: User | None) -> set[Row]:
    """The actor's account as a row to keep (none for no actor, or one not saved)."""
    return set() if actor is None or actor.pk is None else {(User, actor.pk)}


def keep_actor(actor: User | None) -> None:
    """Keep the actor's account until our commit, for a write naming it outside a ticket's lock (lock_ticket keeps it
    there); AccountGone when an admin deleted it while the request was on its way."""
    refuse_if_actor_gone(actor, _rows_gone(actor_row(actor)))


def refuse_if_actor_gone(actor: User | None, gone: AbstractSet[Row]) -> None:
    """Refuse a write whose actor's account was found gone when its rows were kept: deleted by an admin while the
    request (authenticated before) was on its way."""
    if actor_row(actor) & gone:
        raise AccountGone("Your account no longer exists.")


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


# A row kept or locked: its model and primary key.
Row = tuple[type[Model], int]


def ensure_named_rows_remain(rows: Mapping[str, Model | None]) -> None:
    """Refuse a write pointing a ticket to a team, agent or category (`rows`, by field) deleted since it was chosen.

    The caller validated the row (a form, a serializer, a macro, a mailbox's or category's routing) before an admin's
    deletion committed: the database would only find it missing at our commit (its foreign keys are checked then) and
    fail with an IntegrityError, after the write was taken for done.
    """
    if error := named_rows_gone(rows):
        raise error


def named_rows_gone(rows: Mapping[str, Model | None]) -> InvalidValue | None:
    """ensure_named_rows_remain's refusal (of the first field, in `rows`' order, whose row is gone), or None; the
    others kept until our commit, each read in lock_order."""
    return named_row_refused(rows, _rows_gone(named_rows(rows)))


def named_rows(rows: Mapping[str, Model | None]) -> set[Row]:
    """The rows a ticket is pointed to (`rows`, by field: a team, an agent, a category), as rows to keep."""
    return {(NAMED_ROWS[field][0], row.pk) for field, row in rows.items() if row is not None}


def named_row_refused(rows: Mapping[str, Model | None], gone: AbstractSet[Row]) -> InvalidValue | None:
    """The refusal of pointing a ticket to `rows` (by field) when one of them is `gone`: the first field's, in
    `rows`' order; None when none is."""
    field = next(
        (field for field, row in rows.items() if row is not None and (NAMED_ROWS[field][0], row.pk) in gone), None
    )
    if field is None:
        return None
    noun = NAMED_ROWS[field][1]
    return _chosen_row_gone(noun, field, f"This {noun} no longer exists.")


# Attempts at locking a ticket that names only rows kept before: each retry follows a ticket moved meanwhile.
KEEP_ATTEMPTS = 3


def ticket_locked_keeping_what_it_names(ticket_id: int, *, also: AbstractSet[Row] = frozenset()) -> Ticket | None:
    """The ticket under its row lock (None if it is gone), the team, agent and category it names kept first, with the
    rows of `also` (keep_rows_the_ticket_names). Call it inside a transaction."""
    return ticket_locked_keeping(ticket_id, also=also)[0]


def lock_ticket_keeping(ticket_id: int, *, also: AbstractSet[Row] = frozenset()) -> Ticket:
    """lock_ticket for a writer that then writes rows naming what the ticket names or `also`: those kept first
    (ticket_locked_keeping_what_it_names). Ticket.DoesNotExist when the ticket is gone, as lock_ticket."""
    ticket = ticket_locked_keeping_what_it_names(ticket_id, also=also)
    if ticket is None:
        raise Ticket.DoesNotExist
    return ticket


def ticket_locked_keeping(ticket_id: int, *, also: AbstractSet[Row] = frozenset()) -> tuple[Ticket | None, set[Row]]:
    """The ticket under its row lock (None if it is gone), the team, agent and category it names kept first, with the
    rows of `also` (an edit's actor, the rows it points the ticket to), all in one lock_order pass
    (keep_rows_the_ticket_names); and which of the rows kept were found gone. Call it inside a transaction.

    What it names is read before the lock: a ticket moved between that read and the lock names a row not kept, which
    a writer naming it would then take after the ticket's lock (the deadlock keep_rows_the_ticket_names avoids). So
    the lock is taken after a savepoint and, if the ticket names a row not kept, given up by rolling back to it (on
    PostgreSQL a row lock taken after a savepoint goes with it) and taken again once that row is kept; a ticket still
    moving after KEEP_ATTEMPTS is kept as it is, its writer no worse off than before. A row found gone stays gone:
    one a deletion held was waited for until it committed."""
    gone: set[Row] = set()
    for _ in range(KEEP_ATTEMPTS - 1):
        kept, gone_now = keep_rows_the_ticket_names(ticket_id, also=also)
        gone |= gone_now
        savepoint = transaction.savepoint()
        ticket = _ticket_locked(ticket_id)
        if ticket is None or _rows_named_by(ticket) <= kept:
            transaction.savepoint_commit(savepoint)
            return ticket, gone
        transaction.savepoint_rollback(savepoint)
    gone |= keep_rows_the_ticket_names(ticket_id, also=also)[1]
    return _ticket_locked(ticket_id), gone


def _ticket_locked(ticket_id: int) -> Ticket | None:
    return Ticket.objects.select_for_update().filter(pk=ticket_id).first()


def _rows_named_by(ticket: Ticket) -> set[Row]:
    named = ((model, getattr(ticket, f"{field}_id")) for field, (model, _noun) in NAMED_ROWS.items())
    return {(model, pk) for model, pk in named if pk is not None}


def keep_rows_the_ticket_names(ticket_id: int, *, also: AbstractSet[Row] = frozenset()) -> tuple[set[Row], set[Row]]:
    """Keep the team, agent and category the ticket names (as read now, before its lock), and the rows of `also`,
    until our commit, all read in the one lock_order: for a writer that locks the ticket and then writes rows naming
    them (reports' metrics and open counts; an edit's audit entries naming its actor, the rows it points the ticket
    to), whose foreign keys are checked at commit. Taken after the ticket's lock, that check could wait for a
    deletion holding the row while the deletion waits for the ticket (the rows, then the tickets), and PostgreSQL
    would end one of the two as a deadlock. A row a deletion holds is waited for here and then found gone, and the
    ticket, once locked, no longer names it. `also` goes in the same pass: kept in a batch of their own, sorted apart,
    its rows and the ticket's could be taken out of lock_order (an actor's account, then its assignee's, deleted
    together). Returns the rows it read (gone or kept: a ticket moved since names others,
    ticket_locked_keeping_what_it_names) and those of them found gone."""
    ticket = Ticket.objects.filter(pk=ticket_id).only(*(f"{field}_id" for field in NAMED_ROWS)).first()
    rows = (set() if ticket is None else _rows_named_by(ticket)) | set(also)
    return rows, _rows_gone(rows)


# What a deleted row of each model is called; the rows configuration names (tickets.naming).
NOUNS: dict[type[Model], str] = {model: noun for model, noun in NAMED_ROWS.values()}


def ensure_configured_rows_remain(config: Model, *, also: Mapping[type[Model], str] | None = None) -> None:
    """Refuse saving configuration (a rule, a macro, a category, a mailbox, an SLA policy) that names a team, an agent
    or a category deleted since it was chosen, by foreign key or by id in its `conditions`; and a row of `also`'s
    models (by model, what one is called) it names by foreign key (a team's calendar link names its calendar).

    Each row named is kept as a ticket's write keeps it (_row_kept): the admin's deletion (tickets.services.removal),
    which locks the row and then asks what names it, either went first and this save finds the row gone, or waits
    for this save and then sees it, and refuses. Without it the save failed at its commit on the foreign key (a 500),
    or stored a condition naming a gone id, and a deletion took an agent's macro shared meanwhile with the account.
    Call it inside the save's transaction, before writing.
    """
    if error := configured_rows_gone([config], also=also)[0]:
        raise error


def configured_rows_gone(
    configs: Sequence[Model], *, also: Mapping[type[Model], str] | None = None
) -> list[InvalidValue | None]:
    """ensure_configured_rows_remain for several configurations saved together (the rows of an inline): the rows they
    all name kept in the one lock_order, not each configuration's in turn, whose order would be the page's; for each,
    the refusal of a row it names that is gone, or None."""
    nouns = {**NOUNS, **(also or {})}
    named = [_rows_named(config, nouns) for config in configs]
    gone = _rows_gone({(model, pk) for rows in named for model, pk, _, _ in rows})
    refusals: list[InvalidValue | None] = []
    for rows in named:
        first = next(((model, field, detail) for model, pk, field, detail in rows if (model, pk) in gone), None)
        refusals.append(None if first is None else _chosen_row_gone(nouns[first[0]], first[1], first[2]))
    return refusals


def _rows_named(config: Model, nouns: Mapping[type[Model], str]) -> list[tuple[type[Model], int, str, str]]:
    """The rows `config` names: model, pk, field, and what to say when it is gone; in the form's order."""
    named: list[tuple[type[Model], int, str, str]] = []
    for field in config._meta.concrete_fields:
        noun = nouns.get(field.related_model) if field.many_to_one or field.one_to_one else None
        pk = getattr(config, field.attname)
        if noun is not None and pk is not None:
            named.append((field.related_model, pk, field.name, f"This {noun} no longer exists."))
    conditions = getattr(config, "conditions", None)
    for model, name in ID_CONDITION.items():
        value = conditions.get(name) if isinstance(conditions, Mapping) else None
        # Only text names a row, as stored conditions are read (tickets.naming.named_in_conditions); other values
        # are invalid conditions (a JSON Infinity is no int()), refused by the model's validation.
        pk = id_read(value) if isinstance(value, str) else None
        if pk is not None:
            named.append(
                (model, pk, "conditions", f"The {NOUNS[model]} its condition “{name}” names no longer exists.")
            )
    return named


def lock_order(row: Row) -> tuple[str, int]:
    """The one order rows that configuration names are locked in, by whoever locks several: by model, then by
    primary key. A save keeping them (ensure_configured_rows_remain) and an admin deleting several
    (helpdesk.admin_support.ServiceDeletionMixin, one model at a time) take them so; in any other order each could
    hold a row the other waits for, and PostgreSQL would end one of them as a deadlock (a 503)."""
    model, pk = row
    return model._meta.label_lower, pk


def own_rows_gone(model: type[Model], pks: Sequence[int]) -> set[int]:
    """Which of these rows of `model` themselves (not the rows they name) are gone, keeping the others until our
    commit, in lock_order: the rows an admin's list saves (list_editable), where a row deleted before the save
    commits was inserted again."""
    return {pk for _, pk in _rows_gone({(model, pk) for pk in pks})}


def _rows_gone(rows: AbstractSet[Row]) -> set[Row]:
    """Which of `rows` are gone, keeping the others until our commit: each read once, in lock_order."""
    return {row for row in sorted(rows, key=lock_order) if not _row_kept(*row)}


def _chosen_row_gone(noun: str, field: str, detail: str) -> InvalidValue:
    return InvalidValue(f"The {noun} you chose was deleted meanwhile.", details={field: [detail]})


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
