"""Property: hostile input (deep nesting, NUL, lone surrogates, control characters, huge numbers, odd cursors) on
every write endpoint, every list's query string and the public form page is a 4xx or a success, never a 5xx, and a
refused request writes nothing. Runs on SQLite and, with DATABASE_URL, on PostgreSQL.

The operations come from the API's own OpenAPI schema, and the admin's lists from its registry, so a new endpoint
or model admin is covered without touching this file.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib import admin
from django.db.models import ForeignKey
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.services import api_token_issue
from automations.models import Rule, Trigger
from automations.services import rule_save
from forms_builder.models import Form
from macros.models import Macro
from queues.services import saved_view_create
from sla.models import SlaPolicy
from tests.forms_builder.api.support import bug_report_form
from tests.forms_builder.pages_support import answers, fill_url
from tests.support.hostile import (
    PROPERTY_SETTINGS,
    assert_refused_cleanly,
    assert_refused_cleanly_or_served,
    body_with_one_unstorable_value,
    odd_body,
    odd_text,
    query_string,
    row_counts,
    with_a_nul,
)
from tests.support.schema import Operation, operations, writes
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_endpoint_create

GENEROUS_RATE = "100000/m"


@pytest.fixture(autouse=True)
def generous_rate_limits(settings: Any) -> None:
    settings.RATE_LIMIT_READS = settings.RATE_LIMIT_WRITES = settings.RATE_LIMIT_CREDENTIALS = GENEROUS_RATE


@pytest.fixture
def public_form(category, carol) -> Form:
    return bug_report_form(category, admin=carol, public=True)


@pytest.fixture
def path_values(ticket, alice, carol, public_form) -> dict[str, dict[str, object]]:
    """What each path parameter stands for, by the first segment of the path."""
    spare, _ = api_token_issue(user=alice, name="spare")
    rule = rule_save(rule=Rule(name="Rule", trigger=Trigger.TICKET_CREATED))
    webhook = webhook_delivered_once(ticket)
    # Carol's, shared with bob's team: both may read it, so their requests reach the code behind the path.
    view = saved_view_create(owner=carol, name="Open", conditions={"status": "new,open"}, team=ticket.team)
    return {
        "tickets": {"id": ticket.pk, "ticket_id": ticket.pk},
        "users": {"id": alice.pk},
        "auth": {"id": spare.pk},
        "forms": {"slug": public_form.slug},
        "categories": {"id": ticket.category_id},
        "teams": {"id": ticket.team_id},
        "attachments": {"id": 1},
        "automation": {"id": rule.pk, "rule_id": rule.pk},
        "sla": {"id": SlaPolicy.objects.create(name="Standard").pk},
        "macros": {"id": Macro.objects.create(name="Macro", body="Hi", owner=ticket.team.members.get()).pk},
        "webhooks": {"id": webhook.endpoint_id, "webhook_id": webhook.endpoint_id, "delivery_id": webhook.pk},
        "views": {"id": view.pk, "view_id": view.pk},
    }


def webhook_delivered_once(ticket) -> WebhookDelivery:
    """A disabled endpoint (a redeliver is refused, nothing goes out) with one delivery of the ticket's creation."""
    endpoint = webhook_endpoint_create(url="https://93.184.216.34/hooks", actor=None, is_active=False)
    event = ticket.domain_events.first()
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=event,
        ticket=ticket,
        kind=event.kind,
        message_id="msg_hostile",
        body="{}",
        give_up_at=event.created_at,
    )


def url_for(operation: Operation, path_values: dict[str, dict[str, object]]) -> str:
    kind = operation.path.removeprefix("/api/v1/").split("/")[0]
    return operation.url(**path_values.get(kind, {}))


def op_id(operation: Operation) -> str:
    return f"{operation.method.upper()} {operation.path}"


# The keys inside object-valued fields: a form's answers, under the test form's own field keys.
NESTED_FIELDS = {"answers": ["product", "version", "summary", "details"]}
WRITES_WITH_A_BODY = [op for op in writes() if op.body_fields]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["alice", "carol"])
@pytest.mark.parametrize("operation", writes(), ids=op_id)
def test_every_write_endpoint_answers_odd_json_without_a_server_error(
    operation: Operation, who: str, request: pytest.FixtureRequest, api_client_for, path_values
) -> None:
    client = api_client_for(request.getfixturevalue(who))
    url = url_for(operation, path_values)

    @PROPERTY_SETTINGS
    @given(body=odd_body(list(operation.body_fields), NESTED_FIELDS))
    def check(body: dict[str, Any]) -> None:
        before = row_counts()
        response = client.generic(operation.method.upper(), url, json.dumps(body), content_type="application/json")
        assert_refused_cleanly_or_served(response, before, api=True)

    check()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["alice", "carol", None])
@pytest.mark.parametrize("operation", WRITES_WITH_A_BODY, ids=op_id)
def test_every_write_endpoint_refuses_an_unstorable_value_anywhere(
    operation: Operation, who: str | None, request: pytest.FixtureRequest, api_client_for, path_values
) -> None:
    client = api_client_for(request.getfixturevalue(who) if who else None)
    url = url_for(operation, path_values)

    @PROPERTY_SETTINGS
    @given(body=body_with_one_unstorable_value(list(operation.body_fields), NESTED_FIELDS))
    def check(body: str) -> None:
        before = row_counts()
        response = client.generic(operation.method.upper(), url, body, content_type="application/json")
        assert_refused_cleanly(response, before, api=True)

    check()


@pytest.mark.django_db
@pytest.mark.parametrize("operation", [op for op in operations() if op.method == "get"], ids=op_id)
def test_every_api_read_answers_odd_query_strings_without_a_server_error(
    operation: Operation, api_client_for, bob, path_values
) -> None:
    client = api_client_for(bob)
    url = url_for(operation, path_values)

    @PROPERTY_SETTINGS
    @given(
        query=query_string(list(operation.parameters)), with_nul=with_a_nul(query_string(list(operation.parameters)))
    )
    def check(query: dict[str, str], with_nul: dict[str, str]) -> None:
        before = row_counts()
        assert_refused_cleanly_or_served(client.get(url, query), before, api=True)
        assert_refused_cleanly(client.get(url, with_nul), before, api=True)

    check()


def admin_list_parameters(model_admin: admin.ModelAdmin) -> list[str]:
    """What an admin changelist reads: search, ordering, page, and lookups on each field."""
    names = ["q", "o", "p", "e", "all", "_popup", "_to_field"]
    for field in model_admin.model._meta.concrete_fields:
        names += [f"{field.name}__exact", f"{field.name}__gte", f"{field.name}__isnull", f"{field.name}__in"]
        if isinstance(field, ForeignKey):
            names.append(f"{field.name}__id__exact")
    return names


ADMIN_LISTS = sorted(
    (f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist", admin_list_parameters(model_admin))
    for model, model_admin in admin.site._registry.items()
)
PAGE_LISTS = [
    ("staff_queue", ["status", "priority", "assignee", "team", "category", "q", "sort", "page", "tag"]),
    ("ticket_list", ["page", "status", "q"]),
    ("form_list", ["category", "q"]),
    ("reports_dashboard", ["start", "end", "team", "category", "agent"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "names"), PAGE_LISTS + ADMIN_LISTS, ids=[name for name, _ in PAGE_LISTS + ADMIN_LISTS]
)
def test_every_page_list_answers_odd_query_strings_without_a_server_error(
    url_name: str, names: list[str], client_for, carol, ticket
) -> None:
    client = client_for(carol)
    url = reverse(url_name)

    @PROPERTY_SETTINGS
    @given(query=query_string(names), with_nul=with_a_nul(query_string(names)))
    def check(query: dict[str, str], with_nul: dict[str, str]) -> None:
        before = row_counts()
        assert_refused_cleanly_or_served(client.get(url, query), before, api=False)
        assert_refused_cleanly(client.get(url, with_nul), before, api=False)

    check()


@pytest.mark.django_db
def test_the_admin_autocomplete_answers_odd_terms_without_a_server_error(client_for, carol, ticket) -> None:
    client = client_for(carol)
    base = {"app_label": "tickets", "model_name": "ticket", "field_name": "requester"}

    @PROPERTY_SETTINGS
    @given(term=odd_text(url_safe=True))
    def check(term: str) -> None:
        before = row_counts()
        assert_refused_cleanly_or_served(client.get("/admin/autocomplete/", {**base, "term": term}), before, api=False)

    check()


@pytest.mark.django_db
def test_the_public_form_page_answers_odd_answers_without_a_server_error(client, public_form) -> None:
    keys = ["product", "version", "summary", "details"]
    url = fill_url(public_form)

    answer_values = st.fixed_dictionaries({key: odd_text(url_safe=True) for key in keys})

    @PROPERTY_SETTINGS
    @given(
        values=answer_values,
        with_nul=with_a_nul(answer_values),
        email=st.one_of(st.just("guest@example.com"), odd_text(url_safe=True)),
    )
    def check(values: dict[str, str], with_nul: dict[str, str], email: str) -> None:
        before = row_counts()
        response = client.post(url, {"requester-email": email, **answers(**values)})
        assert_refused_cleanly_or_served(response, before, api=False)
        response = client.post(url, {"requester-email": "guest@example.com", **answers(**with_nul)})
        assert_refused_cleanly(response, before, api=False)

    check()
