"""The one condition language for tickets: the API's ticket filters (`TicketFilter`), stored as a mapping.

A saved view, an SLA policy and an automation rule each keep their conditions as the query parameters of
`GET /api/v1/tickets/` (`{"status": "new,open", "priority": "urgent", "tag": "vip"}`), so the same words mean
the same thing everywhere, django-filter parses and validates them, and one definition serves both sides:
`tickets_matching` filters a queryset (a view's list, a time rule's sweep) and `ticket_matches` asks about one
ticket (which SLA policy applies, whether a trigger fires). Add a new condition by adding a filter to TicketFilter.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict

from accounts.models import User
from helpdesk.filtersets import filterset_with_only
from tickets.filters import TicketFilter
from tickets.models import Ticket

Conditions = Mapping[str, str]

# Parameters that are not conditions on a ticket: paging and ordering of a list.
NOT_CONDITIONS = frozenset({"cursor", "page_size", "ordering", "page", "sort"})


def _filterset(conditions: Conditions, queryset: QuerySet[Ticket], user: User | None) -> TicketFilter:
    data = QueryDict(mutable=True)
    for name, value in conditions.items():
        data[name] = value
    # `assignee=me` means whoever looks: the viewer of a view; nobody for a rule that runs on its own.
    request = SimpleNamespace(user=user) if user is not None else None
    # Only the filters the conditions name (helpdesk/filtersets.py): the queue's sidebar makes one per view.
    return filterset_with_only(TicketFilter, frozenset(conditions))(data, queryset=queryset, request=request)


def conditions_problems(conditions: Conditions) -> dict[str, list[str]]:
    """What is wrong with a set of conditions, keyed by parameter; empty when they can be stored."""
    problems: dict[str, list[str]] = {}
    known = set(TicketFilter.base_filters)
    for name, value in conditions.items():
        if name not in known or name in NOT_CONDITIONS:
            problems[name] = ["Unknown condition."]
        elif not isinstance(value, str):
            problems[name] = ["Give the value as text, as in a query string."]
    if problems:
        return problems
    form = _filterset(conditions, Ticket.objects.none(), None).form
    if not form.is_valid():
        problems = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
    return problems


def tickets_matching(
    conditions: Conditions, queryset: QuerySet[Ticket], *, user: User | None = None
) -> QuerySet[Ticket]:
    """The tickets of `queryset` that meet every condition. Conditions must be valid (see conditions_problems)."""
    return _filterset(conditions, queryset, user).qs


def ticket_matches(conditions: Conditions, ticket: Ticket, *, user: User | None = None) -> bool:
    """Whether one ticket, as stored now (call it inside the transaction that changed it), meets the conditions."""
    if not conditions:
        return True
    return tickets_matching(conditions, Ticket.objects.filter(pk=ticket.pk), user=user).exists()


def validate_conditions(value: object, *, refused: Collection[str] = ()) -> None:
    """Model validation of stored conditions: a mapping of known ticket filters with valid values.

    `refused` names filters that make no sense where they are stored (an SLA policy on `sla`)."""
    if not isinstance(value, Mapping):
        raise ValidationError('Give the conditions as an object, for example {"priority": "urgent"}.')
    problems = conditions_problems(value)
    for name in refused:
        if name in value:
            problems[name] = ["This condition cannot be used here."]
    if problems:
        raise ValidationError([f"{name}: {' '.join(messages)}" for name, messages in problems.items()])
