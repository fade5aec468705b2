"""Who gets into the admin and what they may do there: agents work tickets, only admins configure."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_agent_can_open_the_admin_index(client_for, bob):
    assert client_for(bob).get(reverse("admin:index")).status_code == 200


def test_agent_can_open_the_ticket_changelist_and_change_form(client_for, bob, ticket):
    client = client_for(bob)

    assert client.get(reverse("admin:tickets_ticket_changelist")).status_code == 200
    response = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert response.status_code == 200
    assert 'name="_save"' in response.content.decode()


def test_agent_can_open_the_comment_add_page(client_for, bob):
    assert client_for(bob).get(reverse("admin:tickets_comment_add")).status_code == 200


@pytest.mark.parametrize(
    "url_name", ["admin:accounts_user_add", "admin:tickets_category_add", "admin:tickets_team_add"]
)
def test_agent_gets_403_on_configuration_add_pages(client_for, bob, url_name):
    assert client_for(bob).get(reverse(url_name)).status_code == 403


def test_agent_can_view_users_but_not_change_them(client_for, bob, alice):
    client = client_for(bob)
    url = reverse("admin:accounts_user_change", args=[alice.pk])

    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(url, {"email": "x@example.com", "role": "admin"}).status_code == 403
    alice.refresh_from_db()
    assert (alice.email, alice.role) == ("alice@example.com", "requester")


def test_agent_gets_403_on_another_users_password_page(client_for, bob, alice):
    url = reverse("admin:auth_user_password_change", args=[alice.pk])
    assert client_for(bob).get(url).status_code == 403


def test_assignee_autocomplete_offers_only_staff_to_an_agent(client_for, bob, carol, alice):
    query = "app_label=tickets&model_name=ticket&field_name=assignee&term=example"

    response = client_for(bob).get(f"{reverse('admin:autocomplete')}?{query}")

    assert response.status_code == 200
    assert {row["text"] for row in response.json()["results"]} == {"Bob Agent", "Carol Admin"}


def test_team_member_autocomplete_offers_only_staff(client_for, carol, bob, alice):
    query = "app_label=tickets&model_name=team&field_name=members&term=example"

    response = client_for(carol).get(f"{reverse('admin:autocomplete')}?{query}")

    assert {row["text"] for row in response.json()["results"]} == {"Bob Agent", "Carol Admin"}


def test_requester_is_redirected_to_the_admin_login(client_for, alice):
    response = client_for(alice).get(reverse("admin:tickets_ticket_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
