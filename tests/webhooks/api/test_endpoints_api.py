"""`/api/v1/webhooks/`: admins register, read, change, delete endpoints and rotate secrets; nobody else may."""

from __future__ import annotations

import pytest

from events.models import EventKind
from helpdesk.models import IdempotencyRecord
from tests.support.api import assert_error_body
from webhooks import ssrf
from webhooks.models import WebhookEndpoint

WEBHOOKS = "/api/v1/webhooks/"


def register(client, url: str, **fields):
    return client.post(WEBHOOKS, {"url": url, **fields}, format="json")


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(api_client_for, carol, receiver):
    client = api_client_for(carol)
    response = register(client, receiver.url, description="CRM", event_kinds=["ticket.status_changed"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_kinds"] == ["ticket.status_changed"]
    assert body["is_active"] is True and body["include_internal"] is False
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.secret == body["secret"] and endpoint.created_by == carol

    read = client.get(f"{WEBHOOKS}{body['id']}/").json()
    assert "secret" not in read
    assert all("secret" not in item for item in client.get(WEBHOOKS).json()["results"])


def test_a_retried_register_creates_one_endpoint_and_replays_the_answer_without_the_secret(
    api_client_for, carol, receiver
):
    client = api_client_for(carol)
    first = client.post(WEBHOOKS, {"url": receiver.url}, format="json", HTTP_IDEMPOTENCY_KEY="register-1")
    second = client.post(WEBHOOKS, {"url": receiver.url}, format="json", HTTP_IDEMPOTENCY_KEY="register-1")
    assert (first.status_code, second.status_code) == (201, 201), second.content
    secret = first.json()["secret"]
    assert secret.startswith("whsec_") and "Idempotent-Replayed" not in first
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == {**first.json(), "secret": None}
    assert WebhookEndpoint.objects.get().secret == secret
    assert secret not in IdempotencyRecord.objects.get().response_body

    other = client.post(
        WEBHOOKS, {"url": receiver.url, "description": "CRM"}, format="json", HTTP_IDEMPOTENCY_KEY="register-1"
    )
    assert_error_body(other, 422, "idempotency_key_reused")
    assert WebhookEndpoint.objects.count() == 1


def test_an_unsafe_url_is_refused_with_a_reason(api_client_for, carol, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    response = register(api_client_for(carol), "http://169.254.169.254/latest/meta-data/")
    error = assert_error_body(response, 400, "invalid")
    assert "cloud metadata" in error["details"]["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_on_an_international_name_is_registered_as_written(api_client_for, carol, settings, monkeypatch):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: [ssrf.ipaddress.ip_address("93.184.216.34")])
    response = register(api_client_for(carol), "https://bücher.example/hooks")
    assert response.status_code == 201, response.content
    assert response.json()["url"] == "https://bücher.example/hooks"


def test_an_unknown_event_kind_is_refused(api_client_for, carol, receiver):
    response = register(api_client_for(carol), receiver.url, event_kinds=["ticket.exploded"])
    assert_error_body(response, 400, "invalid")


def test_more_event_kinds_than_there_are_is_refused(api_client_for, carol, receiver):
    response = register(api_client_for(carol), receiver.url, event_kinds=["ticket.created"] * (len(EventKind) + 1))
    assert "event_kinds" in assert_error_body(response, 400, "invalid")["details"]
    assert not WebhookEndpoint.objects.exists()


def test_an_admin_changes_and_deletes_an_endpoint(api_client_for, carol, endpoint, settings):
    client = api_client_for(carol)
    response = client.patch(f"{WEBHOOKS}{endpoint.pk}/", {"is_active": False, "description": "Paused"}, format="json")
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.description) == (False, "Paused")

    settings.WEBHOOK_ALLOWED_HOSTS = []
    response = client.patch(f"{WEBHOOKS}{endpoint.pk}/", {"url": "http://[::ffff:127.0.0.1]/"}, format="json")
    assert_error_body(response, 400, "invalid")

    assert client.delete(f"{WEBHOOKS}{endpoint.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_enabling_an_endpoint_again_clears_why_it_was_disabled(api_client_for, carol, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason="The receiver answered 410 Gone."
    )
    response = api_client_for(carol).patch(f"{WEBHOOKS}{endpoint.pk}/", {"is_active": True}, format="json")
    assert response.json()["disabled_reason"] == ""


def test_rotating_shows_the_new_secret_once(api_client_for, carol, endpoint):
    old = endpoint.secret
    response = api_client_for(carol).post(f"{WEBHOOKS}{endpoint.pk}/rotate-secret")
    assert response.status_code == 200
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != old
    assert body["secret_rotating_until"] is not None
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == (body["secret"], old)


@pytest.mark.parametrize("who", ["bob", "alice"])
def test_agents_and_requesters_cannot_manage_webhooks(api_client_for, who, request, endpoint, receiver):
    client = api_client_for(request.getfixturevalue(who))
    assert_error_body(client.get(WEBHOOKS), 403, "permission_denied")
    assert_error_body(register(client, receiver.url), 403, "permission_denied")
    assert_error_body(client.get(f"{WEBHOOKS}{endpoint.pk}/"), 403, "permission_denied")
    assert_error_body(client.post(f"{WEBHOOKS}{endpoint.pk}/rotate-secret"), 403, "permission_denied")
    assert_error_body(client.get(f"{WEBHOOKS}{endpoint.pk}/deliveries/"), 403, "permission_denied")
    assert WebhookEndpoint.objects.count() == 1


def test_anonymous_callers_must_authenticate(api_client_for):
    assert_error_body(api_client_for(None).get(WEBHOOKS), 401, "not_authenticated")


def test_an_unknown_endpoint_is_404(api_client_for, carol):
    assert_error_body(api_client_for(carol).get(f"{WEBHOOKS}999999/"), 404, "not_found")
    assert_error_body(api_client_for(carol).get(f"{WEBHOOKS}999999/deliveries/"), 404, "not_found")


def test_listing_endpoints_takes_a_bounded_number_of_queries(
    api_client_for, carol, receiver, django_assert_max_num_queries
):
    from webhooks.services import webhook_endpoint_create

    for number in range(12):
        webhook_endpoint_create(url=receiver.url, actor=carol, description=f"Endpoint {number}")
    client = api_client_for(carol)
    with django_assert_max_num_queries(8):
        assert len(client.get(WEBHOOKS, {"page_size": 20}).json()["results"]) == 12


def test_an_endpoint_whose_name_no_longer_resolves_can_still_be_disabled(api_client_for, carol, endpoint, monkeypatch):
    import socket

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="https://hooks.gone.invalid/")

    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    response = api_client_for(carol).patch(
        f"{WEBHOOKS}{endpoint.pk}/", {"url": "https://hooks.gone.invalid/", "is_active": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
