"""Three tiers of rate limits on the API: credentials, writes and reads, each refused over its limit with 429."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from tests.conftest import PASSWORD
from tests.support.api import assert_error_body
from tests.support.processes import run_django
from tickets.models import Comment, Ticket

TOKEN_URL = "/api/v1/auth/token"


def assert_throttled(response) -> None:
    assert_error_body(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60


def ask_for_token(client: APIClient, email: str, address: str = "198.51.100.7", password: str = "wrong"):
    return client.post(TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=address)


def test_reads_over_the_limit_are_refused_with_429(api_client_for, bob, settings):
    settings.RATE_LIMIT_READS = "2/m"
    client = api_client_for(bob)
    assert [client.get("/api/v1/tickets/").status_code for _ in range(2)] == [200, 200]
    assert_throttled(client.get("/api/v1/tickets/"))


def test_writes_over_the_limit_are_refused_with_429_and_change_nothing(api_client_for, alice, ticket, settings):
    settings.RATE_LIMIT_WRITES = "2/m"
    client = api_client_for(alice)
    url = f"/api/v1/tickets/{ticket.pk}/comments/"
    assert [client.post(url, {"body": "Any news?"}, format="json").status_code for _ in range(2)] == [201, 201]
    assert_throttled(client.post(url, {"body": "Hello?"}, format="json"))
    assert Comment.objects.filter(ticket=ticket).count() == 2


def test_a_throttled_ticket_create_creates_no_ticket(api_client_for, alice, settings):
    settings.RATE_LIMIT_WRITES = "1/m"
    client = api_client_for(alice)
    assert client.post("/api/v1/tickets/", {"subject": "First"}, format="json").status_code == 201
    assert_throttled(client.post("/api/v1/tickets/", {"subject": "Second"}, format="json"))
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["First"]


def test_token_requests_over_the_limit_are_refused_even_with_the_right_password(api_client_for, alice, settings):
    settings.RATE_LIMIT_CREDENTIALS = "2/m"
    client = api_client_for(None)
    assert [ask_for_token(client, alice.email).status_code for _ in range(2)] == [401, 401]
    assert_throttled(ask_for_token(client, alice.email, password=PASSWORD))


def test_reads_do_not_spend_the_write_budget(api_client_for, alice, settings):
    settings.RATE_LIMIT_WRITES = "1/m"
    client = api_client_for(alice)
    for _ in range(5):
        assert client.get("/api/v1/tickets/").status_code == 200
    assert client.post("/api/v1/tickets/", {"subject": "Printer on fire"}, format="json").status_code == 201


def test_one_user_exhausting_writes_does_not_block_another(api_client_for, alice, bob, ticket, settings):
    settings.RATE_LIMIT_WRITES = "1/m"
    url = f"/api/v1/tickets/{ticket.pk}/comments/"
    bobs_client = api_client_for(bob)
    assert bobs_client.post(url, {"body": "On it."}, format="json").status_code == 201
    assert_throttled(bobs_client.post(url, {"body": "Still on it."}, format="json"))
    assert api_client_for(alice).post(url, {"body": "Thanks!"}, format="json").status_code == 201


def test_an_account_stays_limited_from_a_different_address(api_client_for, alice, settings):
    settings.RATE_LIMIT_CREDENTIALS = "2/m"
    client = api_client_for(None)
    ask_for_token(client, "Alice@Example.com", address="198.51.100.1")
    ask_for_token(client, alice.email, address="198.51.100.2")
    assert_throttled(ask_for_token(client, alice.email, address="198.51.100.3", password=PASSWORD))


def test_an_address_stays_limited_across_different_accounts(api_client_for, settings):
    settings.RATE_LIMIT_CREDENTIALS = "2/m"
    client = api_client_for(None)
    ask_for_token(client, "one@example.com")
    ask_for_token(client, "two@example.com")
    assert_throttled(ask_for_token(client, "three@example.com"))


def test_another_address_and_account_keep_their_own_credentials_quota(api_client_for, alice, mallory, settings):
    settings.RATE_LIMIT_CREDENTIALS = "1/m"
    client = api_client_for(None)
    ask_for_token(client, alice.email, address="198.51.100.1")
    assert_throttled(ask_for_token(client, alice.email, address="198.51.100.1"))
    response = ask_for_token(client, mallory.email, address="198.51.100.2", password=PASSWORD)
    assert response.status_code == 201


def test_credential_attempts_do_not_spend_the_write_budget(api_client_for, settings):
    settings.RATE_LIMIT_WRITES = "1/m"
    client = api_client_for(None)
    assert [ask_for_token(client, "ghost@example.com").status_code for _ in range(3)] == [401, 401, 401]


def test_a_rate_that_cannot_be_read_refuses_to_serve(api_client_for, alice, settings):
    settings.RATE_LIMIT_WRITES = "thirty a minute"
    with pytest.raises(ImproperlyConfigured, match="RATE_LIMIT_WRITES"):
        api_client_for(alice).get("/api/v1/tickets/")


def test_tiers_are_configured_from_the_environment(tmp_path):
    code = (
        "from django.conf import settings as s;"
        " print(s.RATE_LIMIT_CREDENTIALS, s.RATE_LIMIT_WRITES, s.RATE_LIMIT_READS)"
    )
    env = {"RATE_LIMIT_CREDENTIALS": "5/m", "RATE_LIMIT_WRITES": "60/h", "RATE_LIMIT_READS": "1000/m"}
    result = run_django(code, env, tmp_path)
    assert result.stdout.split() == ["5/m", "60/h", "1000/m"], result.stderr
