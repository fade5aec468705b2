"""The macros page and the macros API answer in a number of queries that does not grow with the macros."""

from __future__ import annotations

from django.urls import reverse

from macros.models import Macro, MacroVisibility
from tickets.models import Priority, Status


def many_macros(owner, team, count: int) -> None:
    for number in range(count):
        Macro.objects.create(
            name=f"Macro {number}",
            body="Hi {{ requester.name }}",
            owner=owner,
            visibility=MacroVisibility.TEAM,
            shared_team=team,
            set_status=Status.PENDING,
            set_priority=Priority.HIGH,
            set_assignee=owner,
            set_team=team,
        )


def test_macros_page_queries_do_not_grow_with_the_macros(bob, team, client_for, django_assert_max_num_queries):
    many_macros(bob, team, 30)
    client = client_for(bob)

    # session, user, macros (owner, team, assignee joined)
    with django_assert_max_num_queries(4):
        assert client.get(reverse("macro_list")).status_code == 200


def test_macros_api_queries_do_not_grow_with_the_macros(bob, team, api_client_for, django_assert_max_num_queries):
    many_macros(bob, team, 30)
    client = api_client_for(bob)

    # token, user, macros page
    with django_assert_max_num_queries(5):
        assert client.get("/api/v1/macros/").status_code == 200
