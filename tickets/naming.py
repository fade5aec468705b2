"""What in the configuration names a team, an agent or a category, in the terms each app's selector answers with.

Rules, macros, categories, mailboxes and SLA policies name these rows by foreign key (SET_NULL: the row's going leaves
them quietly doing less) or by id in their stored conditions (the one condition language: the row's going leaves the
condition matching no ticket, see TicketFilter.filter_queryset). Deleting a row named so is refused in the admin
(tickets.services.removal.removal_refusals) until the configuration is changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models import Q

from accounts.models import User
from tickets.filters import id_read
from tickets.models import Category, Team

Named = Team | User | Category

# The conditions whose value is a row's id, by the row's model.
ID_CONDITION = {Team: "team", Category: "category", User: "assignee"}


@dataclass(frozen=True)
class Naming:
    """`what` (“Macro “Escalate””) `does` (“sets”) to `row`, and what to do about it before `row` can go."""

    what: str
    does: str
    row: Named
    remedy: str = "change or delete it first"


def described(row: Named) -> str:
    if isinstance(row, User):
        return row.display_name
    return f"the {row._meta.verbose_name} “{row}”"


def by_pk(rows: Sequence[Named]) -> dict[int, Named]:
    return {row.pk: row for row in rows}


def conditions_naming(rows: Sequence[Named], *, field: str = "conditions") -> Q:
    """Rows of a model whose stored conditions (the JSONField `field`) may name one of `rows`: those with a condition
    of their kind, which named_in_conditions then reads. Not by the stored text: "05" names row 5 as "5" does."""
    return Q(**{f"{field}__has_key": ID_CONDITION[type(rows[0])]})


def named_in_conditions(conditions: object, rows: Mapping[int, Named]) -> Named | None:
    """Which of `rows` (by id, all of one model) these stored conditions name, if any, read as the filters read
    them (tickets.filters.id_read). Stored values are text, as in a query string (tickets.conditions)."""
    if not isinstance(conditions, Mapping) or not rows:
        return None
    value = conditions.get(ID_CONDITION[type(next(iter(rows.values())))])
    key = id_read(value) if isinstance(value, str) else None
    return rows.get(key) if key is not None else None
