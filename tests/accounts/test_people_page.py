"""/staff/people/: admins list and find users, change their roles (audited), and see recent role changes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

from accounts.models import Role, RoleChange, User
from accounts.services import user_create, user_update

pytestmark = pytest.mark.django_db


def emails(response) -> list[str]:
    """The email column of the people table, top to bottom."""
    table = response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>\s*<td>([^<]+@[^<]+)</td>", table)


def change_role(client, user: User, role: str, query: str = ""):
    return client.post(reverse("people_role_change", args=[user.pk]) + query, {"role": role})


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def everyone(alice, mallory, bob, carol) -> None:
    pass


def test_admin_sees_everyone_with_role_active_and_joined(carol, bob, everyone, client_for):
    response = client_for(carol).get(reverse("people"))

    assert response.status_code == 200
    assert emails(response) == ["alice@example.com", "bob@example.com", "carol@example.com", "mallory@example.com"]
    bob_row = re.search(r"<tr>\s*<td>bob@example.com</td>(.*?)</tr>", response.content.decode(), re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", bob_row, re.S)[:4]]
    assert cells == ["Bob Agent", "Agent", "Yes", date_format(localtime(bob.date_joined), "M j, Y")]


def test_search_finds_people_by_email_or_name(carol, everyone, client_for):
    client = client_for(carol)

    by_email = client.get(reverse("people"), {"q": "MALLORY@"})
    by_name = client.get(reverse("people"), {"q": "agent"})

    assert emails(by_email) == ["mallory@example.com"]
    assert emails(by_name) == ["bob@example.com"]


def test_role_filter_lists_only_that_role(carol, everyone, client_for):
    response = client_for(carol).get(reverse("people"), {"role": "requester"})

    assert emails(response) == ["alice@example.com", "mallory@example.com"]


def test_unknown_role_filter_is_shown_as_a_form_error(carol, everyone, client_for):
    response = client_for(carol).get(reverse("people"), {"role": "overlord"})

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()


def test_people_are_paginated(carol, client_for):
    for number in range(30):
        user_create(email=f"person{number:02}@example.com")

    first = client_for(carol).get(reverse("people"))
    second = client_for(carol).get(reverse("people"), {"page": 2})

    assert len(emails(first)) == 25
    assert len(emails(second)) == 6
    assert 'rel="next"' in first.content.decode()


def test_admin_promotes_a_requester_to_agent(carol, mallory, client_for):
    response = change_role(client_for(carol), mallory, Role.AGENT)

    assert response.status_code == 302
    mallory.refresh_from_db()
    assert mallory.role == Role.AGENT
    change = RoleChange.objects.get(user=mallory)
    assert (change.old_role, change.new_role, change.actor) == (Role.REQUESTER, Role.AGENT, carol)


def test_success_is_shown_as_a_message(carol, mallory, client_for):
    response = client_for(carol).post(
        reverse("people_role_change", args=[mallory.pk]), {"role": Role.AGENT}, follow=True
    )

    assert page_messages(response) == ["Mallory Requester is now an agent."]


def test_after_a_change_the_page_keeps_its_search(carol, mallory, client_for):
    response = change_role(client_for(carol), mallory, Role.AGENT, query="?q=mallory&page=1")

    assert response.url == reverse("people") + "?q=mallory&page=1"


def test_same_role_changes_nothing(carol, mallory, client_for):
    response = client_for(carol).post(
        reverse("people_role_change", args=[mallory.pk]), {"role": Role.REQUESTER}, follow=True
    )

    assert page_messages(response) == ["Mallory Requester already is a requester."]
    assert not RoleChange.objects.exists()


def test_unknown_role_is_refused_with_a_message(carol, mallory, client_for):
    response = client_for(carol).post(reverse("people_role_change", args=[mallory.pk]), {"role": "owner"}, follow=True)

    assert page_messages(response) == ["The role of Mallory Requester was not changed: choose one of the roles."]
    mallory.refresh_from_db()
    assert mallory.role == Role.REQUESTER


def test_admin_cannot_change_their_own_role(carol, client_for):
    response = client_for(carol).post(reverse("people_role_change", args=[carol.pk]), {"role": "agent"}, follow=True)

    assert page_messages(response) == ["You cannot change your own role. Another admin can do it for you."]
    carol.refresh_from_db()
    assert carol.role == Role.ADMIN
    assert not RoleChange.objects.exists()


def test_own_row_has_no_role_form(carol, alice, client_for):
    page = client_for(carol).get(reverse("people")).content.decode()

    assert reverse("people_role_change", args=[carol.pk]) not in page
    assert reverse("people_role_change", args=[alice.pk]) in page
    assert "Your own role" in page


def test_role_change_for_an_unknown_user_is_404(carol, client_for):
    assert client_for(carol).post(reverse("people_role_change", args=[999999]), {"role": "agent"}).status_code == 404


def test_recent_role_changes_show_who_whom_from_to(carol, alice, bob, client_for):
    user_update(user=alice, actor=carol, role=Role.AGENT)

    response = client_for(carol).get(reverse("people"))

    rows = re.findall(r'<tr class="role-change">(.*?)</tr>', response.content.decode(), re.S)
    assert len(rows) == 1
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", rows[0], re.S)]
    assert cells[1:] == ["alice@example.com", "Requester → Agent", "carol@example.com"]


def test_each_row_links_to_that_users_role_history(carol, alice, client_for):
    page = client_for(carol).get(reverse("people")).content.decode()

    assert reverse("admin:accounts_user_change", args=[alice.pk]) in page


def test_admins_see_the_people_link_in_the_navigation(carol, bob, client_for):
    assert f'href="{reverse("people")}"' in client_for(carol).get(reverse("staff_queue")).content.decode()
    assert f'href="{reverse("people")}"' not in client_for(bob).get(reverse("staff_queue")).content.decode()


def test_agents_get_403_on_the_page(bob, client_for):
    response = client_for(bob).get(reverse("people"))

    assert response.status_code == 403
    assert "Your account may not open this page" in response.content.decode()  # our page, in the site's layout


def test_agents_cannot_change_roles_on_the_page(bob, alice, client_for):
    response = change_role(client_for(bob), alice, Role.AGENT)

    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.role == Role.REQUESTER
    assert not RoleChange.objects.exists()


def test_requesters_get_404(alice, mallory, client_for):
    client = client_for(alice)

    assert client.get(reverse("people")).status_code == 404
    assert change_role(client, mallory, Role.AGENT).status_code == 404
    mallory.refresh_from_db()
    assert mallory.role == Role.REQUESTER


def test_anonymous_visitors_are_sent_to_sign_in(mallory, client_for):
    response = client_for(None).get(reverse("people"))
    post = change_role(client_for(None), mallory, Role.ADMIN)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert post.status_code == 302
    assert not RoleChange.objects.exists()


def test_page_query_count_does_not_grow_with_people(carol, client_for, django_assert_max_num_queries):
    for number in range(20):
        user = user_create(email=f"person{number:02}@example.com")
        user_update(user=user, actor=carol, role=Role.AGENT)
    client = client_for(carol)

    # Session, user, count, the page of people, the recent role changes with their users.
    with django_assert_max_num_queries(6):
        response = client.get(reverse("people"))

    assert len(emails(response)) == 21
