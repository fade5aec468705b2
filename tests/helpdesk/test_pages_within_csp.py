"""Every page works under the strict CSP: nothing inline that the policy would block, in our pages or the admin."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.urls import reverse

from accounts.models import User
from tests.support.admin import ADMIN_ADDABLE, ADMIN_MODELS, records_for_every_admin_list
from tests.support.html import blocked_by_strict_csp
from tickets.models import Attachment, Comment, Tag, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

OWN_PAGES = [
    ("account_login", None, []),
    ("account_signup", None, []),
    ("account_reset_password", None, []),
    ("usersessions_list", "alice", []),
    ("mfa_index", "alice", []),
    # Activating an authenticator app first asks for the password again: this page. The activation page itself
    # (after that step) is checked in tests/accounts/test_allauth_pages.py, like every other allauth page.
    ("account_reauthenticate", "alice", []),
    ("ticket_list", "alice", []),
    ("ticket_new", "alice", []),
    ("ticket_detail", "alice", ["ticket"]),
    ("staff_queue", "bob", []),
    ("saved_views", "bob", []),
    ("staff_ticket_detail", "bob", ["ticket"]),
    ("api-docs", None, []),
]


@pytest.fixture
def some_of_everything(ticket: Ticket, bob: User) -> Ticket:
    return records_for_every_admin_list(ticket, bob)


def response_nonce(response: HttpResponse) -> str | None:
    found = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    return found.group(1) if found else None


def assert_nothing_blocked(response: HttpResponse) -> None:
    assert response.status_code == 200
    assert blocked_by_strict_csp(response.content.decode(), nonce=response_nonce(response)) == []


@pytest.mark.parametrize(("url_name", "user_name", "args"), OWN_PAGES)
def test_our_pages_have_nothing_the_csp_would_block(request, client_for, some_of_everything, url_name, user_name, args):
    user = request.getfixturevalue(user_name) if user_name else None
    url = reverse(url_name, args=[request.getfixturevalue(name).pk for name in args])

    assert_nothing_blocked(client_for(user).get(url))


@pytest.mark.parametrize("url_name", ["admin:index", "admin:password_change"])
def test_admin_pages_have_nothing_the_csp_would_block(client_for, carol, url_name):
    assert_nothing_blocked(client_for(carol).get(reverse(url_name)))


def test_admin_login_is_the_site_login_which_has_nothing_the_csp_would_block(client):
    response = client.get(reverse("admin:login"), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert_nothing_blocked(response)


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_admin_changelists_have_nothing_the_csp_would_block(client_for, carol, some_of_everything, model):
    assert_nothing_blocked(client_for(carol).get(reverse(f"admin:{model}_changelist")))


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_admin_change_pages_have_nothing_the_csp_would_block(client_for, carol, some_of_everything, model):
    client = client_for(carol)
    first = client.get(reverse(f"admin:{model}_changelist")).context["cl"].result_list[0]

    assert_nothing_blocked(client.get(reverse(f"admin:{model}_change", args=[first.pk])))


@pytest.mark.parametrize("model", ADMIN_ADDABLE)
def test_admin_add_pages_have_nothing_the_csp_would_block(client_for, carol, model):
    # The category form prepopulates its slug from the name: its settings travel in a data- attribute, not a script.
    assert_nothing_blocked(client_for(carol).get(reverse(f"admin:{model}_add")))


def test_admin_popups_and_password_form_have_nothing_the_csp_would_block(client_for, carol, alice):
    client = client_for(carol)

    assert_nothing_blocked(client.get(reverse("admin:tickets_category_add") + "?_popup=1&_to_field=id"))
    assert_nothing_blocked(client.get(reverse("admin:auth_user_password_change", args=[alice.pk])))


def test_admin_popup_response_has_nothing_the_csp_would_block(client_for, carol):
    response = client_for(carol).post(
        reverse("admin:tickets_tag_add") + "?_popup=1&_to_field=id", {"name": "urgent", "_popup": "1"}
    )

    assert "popup_response" in response.content.decode()
    assert_nothing_blocked(response)


def test_admin_delete_confirmation_has_nothing_the_csp_would_block(client_for, carol):
    tag = Tag.objects.create(name="obsolete")

    assert_nothing_blocked(client_for(carol).get(reverse("admin:tickets_tag_delete", args=[tag.pk])))


def test_fixture_covers_every_record_the_admin_lists(some_of_everything):
    # The change-page test above looks at the first row of each list; an empty list would make it pass unseen.
    assert Comment.objects.exists() and Attachment.objects.exists() and TicketEvent.objects.exists()
