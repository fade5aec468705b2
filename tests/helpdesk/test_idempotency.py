"""`Idempotency-Key` on creates: a retried POST returns the first response and never creates a second object."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from automations.models import Rule
from helpdesk.models import IdempotencyRecord, IdempotencyState
from helpdesk.tasks import purge_idempotency_keys
from macros.models import Macro
from macros.services import macro_create
from queues.models import SavedView
from tickets.models import Attachment, Comment, Ticket, TicketLink

URL = "/api/v1/tickets/"


def post_ticket(client, key: str, subject: str = "Printer on fire"):
    return client.post(URL, {"subject": subject}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def comments_url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/comments/"


def error_code(response, status: int) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]["code"]


def test_a_retried_create_returns_the_first_response_and_creates_one_ticket(api_client_for, alice):
    client = api_client_for(alice)
    first = post_ticket(client, "key-1")
    again = post_ticket(client, "key-1")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Ticket.objects.filter(requester=alice).count() == 1


def test_json_key_order_and_spacing_do_not_make_a_different_request(api_client_for, alice):
    client = api_client_for(alice)
    body = '{"subject": "Printer on fire", "description": "Smoke"}'
    respaced = '{ "description":"Smoke",   "subject":"Printer on fire" }'
    first = client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    again = client.post(URL, respaced, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def test_the_same_key_with_a_different_body_is_422(api_client_for, alice):
    client = api_client_for(alice)
    post_ticket(client, "key-1", subject="Printer on fire")
    response = post_ticket(client, "key-1", subject="Scanner on fire")
    assert error_code(response, 422) == "idempotency_key_reused"
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Printer on fire"]


def test_the_same_key_on_another_endpoint_is_422(api_client_for, alice, ticket):
    client = api_client_for(alice)
    post_ticket(client, "key-1")
    response = client.post(comments_url(ticket), {"body": "Hello"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert error_code(response, 422) == "idempotency_key_reused"
    assert not Comment.objects.exists()


def test_a_duplicate_while_the_first_is_still_running_is_409(api_client_for, alice):
    client = api_client_for(alice)
    post_ticket(client, "key-1")
    IdempotencyRecord.objects.update(state=IdempotencyState.IN_FLIGHT, response_status=None, response_body="")
    response = post_ticket(client, "key-1")
    assert error_code(response, 409) == "idempotency_key_in_progress"
    assert Ticket.objects.filter(requester=alice).count() == 1


def test_two_users_may_use_the_same_key(api_client_for, alice, mallory):
    for_alice = post_ticket(api_client_for(alice), "shared")
    for_mallory = post_ticket(api_client_for(mallory), "shared")
    assert for_alice.status_code == for_mallory.status_code == 201
    assert not for_mallory.has_header("Idempotent-Replayed")
    assert for_mallory.json()["requester"] == mallory.pk
    assert Ticket.objects.count() == 2


def test_an_expired_key_runs_the_create_again(api_client_for, alice, settings):
    client = api_client_for(alice)
    first = post_ticket(client, "key-1")
    hours = settings.IDEMPOTENCY_KEY_TTL_HOURS + 1
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=hours))
    second = post_ticket(client, "key-1", subject="Another one")
    assert second.status_code == 201 and not second.has_header("Idempotent-Replayed")
    assert second.json()["id"] != first.json()["id"]
    assert post_ticket(client, "key-1", subject="Another one").json()["id"] == second.json()["id"]


def test_a_create_that_fails_releases_the_key_so_a_corrected_retry_runs(api_client_for, alice):
    client = api_client_for(alice)
    refused = client.post(URL, {"subject": ""}, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert refused.status_code == 400
    corrected = post_ticket(client, "key-1")
    assert corrected.status_code == 201 and not corrected.has_header("Idempotent-Replayed")
    assert Ticket.objects.filter(requester=alice).count() == 1


def test_mallory_gets_404_commenting_with_a_key_and_the_key_is_not_kept(api_client_for, mallory, ticket):
    client = api_client_for(mallory)
    response = client.post(comments_url(ticket), {"body": "Hi"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert error_code(response, 404) == "not_found"
    assert not IdempotencyRecord.objects.exists()


def multipart_comment(client, ticket, content: bytes):
    upload = SimpleUploadedFile("log.txt", content, content_type="text/plain")
    return client.post(
        comments_url(ticket), {"body": "See the log", "files": [upload]}, format="multipart", HTTP_IDEMPOTENCY_KEY="c1"
    )


def test_a_retried_multipart_comment_is_replayed_with_one_comment_and_one_attachment(api_client_for, alice, ticket):
    client = api_client_for(alice)
    first = multipart_comment(client, ticket, b"line 1\nline 2\n")
    again = multipart_comment(client, ticket, b"line 1\nline 2\n")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Comment.objects.count() == 1
    assert Attachment.objects.count() == 1


def test_a_multipart_retry_with_a_different_file_is_422(api_client_for, alice, ticket):
    client = api_client_for(alice)
    multipart_comment(client, ticket, b"line 1\n")
    response = multipart_comment(client, ticket, b"line 2\n")
    assert error_code(response, 422) == "idempotency_key_reused"
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "tab\tkey", "nul\x00key", "caf\u00e9"])
def test_an_empty_overlong_or_unprintable_key_is_400(api_client_for, alice, key):
    response = post_ticket(api_client_for(alice), key)
    assert error_code(response, 400) == "invalid"
    assert "Idempotency-Key" in response.json()["error"]["details"]
    assert not Ticket.objects.exists()


def test_a_key_of_255_characters_is_accepted(api_client_for, alice):
    assert post_ticket(api_client_for(alice), "x" * 255).status_code == 201


def test_without_a_key_every_post_creates_a_ticket(api_client_for, alice):
    client = api_client_for(alice)
    client.post(URL, {"subject": "Same"}, format="json")
    client.post(URL, {"subject": "Same"}, format="json")
    assert Ticket.objects.filter(requester=alice).count() == 2


def test_the_purge_command_deletes_only_expired_keys(api_client_for, alice, settings):
    client = api_client_for(alice)
    post_ticket(client, "old")
    post_ticket(client, "fresh")
    hours = settings.IDEMPOTENCY_KEY_TTL_HOURS + 1
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=hours))
    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    assert "Deleted 1" in out.getvalue()


def test_a_body_with_a_lone_surrogate_is_never_a_server_error(api_client_for, alice):
    client = api_client_for(alice)
    client.raise_request_exception = False
    body = '{"subject": "Broken \\ud800 text"}'
    response = client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code < 500


def test_creating_a_user_is_idempotent_too(api_client_for, carol):
    from accounts.models import User

    client = api_client_for(carol)
    body = {"email": "new.agent@example.com", "role": "agent"}
    first = client.post("/api/v1/users/", body, format="json", HTTP_IDEMPOTENCY_KEY="user-1")
    second = client.post("/api/v1/users/", body, format="json", HTTP_IDEMPOTENCY_KEY="user-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.content == first.content and second["Idempotent-Replayed"] == "true"
    assert User.objects.filter(email="new.agent@example.com").count() == 1


def test_beat_purges_expired_keys_daily(api_client_for, alice, settings):
    post_ticket(api_client_for(alice), "old")
    hours = settings.IDEMPOTENCY_KEY_TTL_HOURS + 1
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=hours))
    entry = settings.CELERY_BEAT_SCHEDULE["idempotency-keys-purge"]

    assert entry == {"task": purge_idempotency_keys.name, "schedule": 24 * 3600}
    assert purge_idempotency_keys() == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.fixture
def two_tickets(alice, ticket):
    from tickets.services import ticket_create

    return ticket, ticket_create(requester=alice, subject="Same invoice again", category=ticket.category)


def _view(tickets):
    return "/api/v1/views/", {"name": "Mine", "conditions": {"status": "open"}}, {"name": "Other"}, SavedView


def _rule(tickets):
    body = {"name": "Tag billing", "trigger": "ticket_created", "add_tags": "x"}
    return "/api/v1/automation/rules/", body, {"name": "Other"}, Rule


def _link(tickets):
    ticket, other = tickets
    body = {"relation": "related", "ticket": other.pk}
    return f"/api/v1/tickets/{ticket.pk}/links/", body, {"relation": "parent_of"}, TicketLink


def _macro(tickets):
    return "/api/v1/macros/", {"name": "Thanks", "body": "Thanks for writing."}, {"name": "Other"}, Macro


def _applied_macro(tickets):
    """Applying a macro posts its reply (and mails the requester): a retry must not post it twice."""
    ticket, _ = tickets
    author = User.objects.get(email="carol@example.com")
    thanks, other = (
        macro_create(actor=author, name=name, body=f"{name}, we are on it.") for name in ("Thanks", "Noted")
    )
    return f"/api/v1/tickets/{ticket.pk}/apply-macro/", {"macro": thanks.pk}, {"macro": other.pk}, Comment


@pytest.mark.parametrize(
    "create",
    [_view, _rule, _link, _macro, _applied_macro],
    ids=["saved view", "automation rule", "ticket link", "macro", "macro applied"],
)
def test_a_retried_view_rule_link_or_macro_create_is_replayed_and_creates_one(
    api_client_for, carol, two_tickets, create
):
    url, body, changed, model = create(two_tickets)
    client = api_client_for(carol)
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    second = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    assert (first.status_code, second.status_code) == (201, 201), second.content
    assert second.content == first.content and second["Idempotent-Replayed"] == "true"
    assert model.objects.count() == 1
    reused = client.post(url, {**body, **changed}, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    assert error_code(reused, 422) == "idempotency_key_reused"
    assert model.objects.count() == 1
