"""helpdesk/filtersets.py: a FilterSet holding only the filters a request names answers as the whole one does."""

from __future__ import annotations

import django_filters
import pytest
from django.http import QueryDict

from helpdesk.filtersets import filterset_for_params, filterset_query_params
from tickets.filters import TicketListFilter
from tickets.models import Priority, Team, Ticket
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


class RangeFilter(django_filters.FilterSet):
    number = django_filters.NumericRangeFilter(field_name="id")
    status = django_filters.CharFilter()

    class Meta:
        model = Ticket
        fields: list[str] = []


def _both(query: str, user) -> tuple[TicketListFilter, TicketListFilter]:
    data = QueryDict(query)
    request = type("Request", (), {"user": user})()
    whole = TicketListFilter(data, queryset=Ticket.objects.all(), request=request)
    named = filterset_for_params(TicketListFilter, data)(data, queryset=Ticket.objects.all(), request=request)
    return whole, named


def test_only_the_named_filters_are_made(bob):
    _, named = _both("status=open&team=1", bob)

    assert set(named.filters) == {"status", "team"}


def test_the_named_filters_find_the_rows_the_whole_filterset_finds(alice, bob):
    team = Team.objects.create(name="Billing")
    kept = ticket_create(requester=alice, actor=bob, subject="Kept", description="x", team=team)
    ticket_create(requester=alice, actor=bob, subject="Other team", description="x")
    ticket_create(requester=alice, actor=bob, subject="Urgent", description="x", team=team, priority=Priority.URGENT)

    whole, named = _both(f"team={team.pk}&priority=normal&assignee=none", bob)

    assert named.is_valid() and whole.is_valid()
    assert list(named.qs.values_list("pk", flat=True)) == list(whole.qs.values_list("pk", flat=True)) == [kept.pk]


def test_the_named_filters_refuse_what_the_whole_filterset_refuses(bob):
    whole, named = _both("team=999999&status=nonsense&assignee=someone", bob)

    assert not named.is_valid()
    assert named.errors == whole.errors
    assert set(named.errors) == {"team", "status", "assignee"}


def test_a_range_filter_is_kept_when_a_request_names_one_of_its_parts():
    assert filterset_query_params(RangeFilter) == {"number_min", "number_max", "status"}

    named = filterset_for_params(RangeFilter, ["number_min"])

    assert set(named.base_filters) == {"number"}


def test_each_set_of_names_makes_its_class_once():
    assert filterset_for_params(TicketListFilter, ["status", "team"]) is filterset_for_params(
        TicketListFilter, ["team", "status", "cursor"]
    )
