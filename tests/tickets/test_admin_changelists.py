"""Every model's admin list, search and add page renders for an admin, in a bounded number of queries."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.services import api_token_issue
from tickets.models import Tag
from tickets.services import comment_create, ticket_create

pytestmark = pytest.mark.django_db

MODELS = [
    "accounts_user",
    "accounts_apitoken",
    "tickets_team",
    "tickets_category",
    "tickets_tag",
    "tickets_ticket",
    "tickets_comment",
    "tickets_attachment",
    "tickets_ticketevent",
]
ADDABLE = ["accounts_user", "tickets_team", "tickets_category", "tickets_tag", "tickets_ticket", "tickets_comment"]


@pytest.fixture
def some_of_everything(ticket, bob):
    Tag.objects.create(name="vip")
    api_token_issue(user=bob, name="laptop")
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4", content_type="application/pdf")
    comment_create(ticket=ticket, author=bob, body="See attached.", files=[upload])
    comment_create(ticket=ticket, author=bob, body="Internal thoughts", internal=True)
    return ticket


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("query", ["", "?q=invoice"])
def test_admin_changelist_renders(client_for, carol, some_of_everything, model, query):
    response = client_for(carol).get(reverse(f"admin:{model}_changelist") + query)
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_admin_change_page_renders(client_for, carol, some_of_everything, model):
    client = client_for(carol)
    first = client.get(reverse(f"admin:{model}_changelist")).context["cl"].result_list[0]
    assert client.get(reverse(f"admin:{model}_change", args=[first.pk])).status_code == 200


@pytest.mark.parametrize("model", ADDABLE)
def test_admin_add_page_renders(client_for, carol, model):
    assert client_for(carol).get(reverse(f"admin:{model}_add")).status_code == 200


@pytest.mark.parametrize("model", ["tickets_ticketevent", "tickets_attachment", "accounts_apitoken"])
def test_service_written_records_cannot_be_added_in_the_admin(client_for, carol, model):
    assert client_for(carol).get(reverse(f"admin:{model}_add")).status_code == 403


def test_ticket_changelist_query_count_does_not_grow_with_tickets(
    client_for, carol, alice, bob, category, django_assert_max_num_queries
):
    for number in range(20):
        ticket_create(requester=alice, subject=f"Problem {number}", category=category, assignee=bob, actor=bob)
    client = client_for(carol)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:tickets_ticket_changelist"))

    assert len(response.context["cl"].result_list) == 20
