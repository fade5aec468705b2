"""helpdesk/filtersets.py: a FilterSet holding only the filters a request names answers as the whole one does."""

from __future__ import annotations

import django_filters
import pytest
from django.http import QueryDict

from helpdesk.filtersets import FilterCopies, filterset_for_params, filterset_query_params, filterset_with_only
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


# --- Each FilterSet's own filters (FilterCopies) ------------------------------------------------------------------


def _filterset(query: str, user, filterset_class=TicketListFilter):
    request = type("Request", (), {"user": user})()
    return filterset_class(QueryDict(query), queryset=Ticket.objects.all(), request=request)


@pytest.mark.parametrize(
    "filterset_class", [TicketListFilter, filterset_with_only(TicketListFilter, frozenset({"assignee"}))]
)
def test_each_filterset_gets_filters_of_its_own_without_copying_what_they_only_read(bob, filterset_class):
    first, second = _filterset("", bob, filterset_class), _filterset("", bob, filterset_class)
    declared = filterset_class.base_filters["assignee"]
    mine, theirs = first.filters["assignee"], second.filters["assignee"]

    assert isinstance(filterset_class.base_filters, FilterCopies)
    assert mine is not theirs and mine is not declared
    assert mine.parent is first and theirs.parent is second
    assert mine.extra is not theirs.extra and mine.extra is not declared.extra
    # What a FilterSet only reads is shared: deep-copying it for every request was most of the copy's time.
    assert mine.extra["validators"] is declared.extra["validators"]


def test_a_filter_method_runs_on_its_own_filterset(alice, bob, carol):
    mine = ticket_create(requester=alice, actor=bob, subject="Mine", description="x", assignee=bob)
    ticket_create(requester=alice, actor=carol, subject="Carol's", description="x", assignee=carol)
    bobs, carols = _filterset("assignee=me", bob), _filterset("assignee=me", carol)

    assert list(bobs.qs.values_list("subject", flat=True)) == [mine.subject]
    assert list(carols.qs.values_list("subject", flat=True)) == ["Carol's"]
    assert not hasattr(TicketListFilter.base_filters["assignee"], "parent")


def test_what_a_filterset_puts_in_its_filters_leaves_the_declared_ones_alone(bob):
    team = Team.objects.create(name="Billing")
    declared = TicketListFilter.base_filters["team"]
    before = dict(declared.extra)
    filterset = _filterset(f"team={team.pk}", bob)
    filterset.filters["team"].extra["queryset"] = Team.objects.none()  # as ModelChoiceFilter does per request
    filterset.filters["team"].field  # noqa: B018 - builds the filter's own form field

    assert filterset.is_valid() and filterset.form.cleaned_data["team"] == team
    assert declared.extra == before
    assert "_field" not in vars(declared)


def test_the_viewer_a_view_filter_keeps_stays_with_its_own_filterset(alice, bob, carol):
    """ViewFilter puts the request's user in its filter's `extra`: shared between FilterSets, one agent's "mine"
    would list another's tickets."""
    ticket_create(requester=alice, actor=bob, subject="Bob's", description="x", assignee=bob)
    ticket_create(requester=alice, actor=carol, subject="Carol's", description="x", assignee=carol)
    bobs, carols = _filterset("view=mine", bob), _filterset("view=mine", carol)

    assert bobs.is_valid() and carols.is_valid()
    assert list(bobs.qs.values_list("subject", flat=True)) == ["Bob's"]
    assert list(carols.qs.values_list("subject", flat=True)) == ["Carol's"]
    assert "viewer" not in TicketListFilter.base_filters["view"].extra
