"""Every API response tells the client where it stands: RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset."""

from __future__ import annotations


def rate_limit_headers(response) -> tuple[int, int, int]:
    return int(response["RateLimit-Limit"]), int(response["RateLimit-Remaining"]), int(response["RateLimit-Reset"])


def test_successful_reads_count_down_the_remaining_quota(api_client_for, bob, settings):
    settings.RATE_LIMIT_READS = "5/m"
    client = api_client_for(bob)
    first, second = client.get("/api/v1/tickets/"), client.get("/api/v1/auth/me")
    assert (first.status_code, second.status_code) == (200, 200)
    assert rate_limit_headers(first)[:2] == (5, 4)
    assert rate_limit_headers(second)[:2] == (5, 3)
    assert 1 <= rate_limit_headers(second)[2] <= 60


def test_writes_report_the_write_quota(api_client_for, alice, settings):
    settings.RATE_LIMIT_WRITES = "7/m"
    response = api_client_for(alice).post("/api/v1/tickets/", {"subject": "Laptop will not boot"}, format="json")
    assert response.status_code == 201
    assert rate_limit_headers(response)[:2] == (7, 6)


def test_a_404_for_an_unknown_ticket_carries_the_headers_and_counts(api_client_for, alice, settings):
    settings.RATE_LIMIT_READS = "5/m"
    client = api_client_for(alice)
    client.get("/api/v1/tickets/")
    response = client.get("/api/v1/tickets/999999/")
    assert response.status_code == 404
    assert rate_limit_headers(response)[:2] == (5, 3)


def test_a_404_for_an_unknown_url_carries_the_headers(api_client_for, alice, settings):
    settings.RATE_LIMIT_READS = "5/m"
    response = api_client_for(alice).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert rate_limit_headers(response)[0] == 5


def test_a_401_carries_the_headers_of_the_anonymous_quota(api_client_for, settings):
    settings.RATE_LIMIT_READS = "5/m"
    response = api_client_for(None).get("/api/v1/tickets/")
    assert response.status_code == 401
    limit, remaining, reset = rate_limit_headers(response)
    assert (limit, remaining) == (5, 5)
    assert 1 <= reset <= 60


def test_a_401_for_a_bad_token_carries_the_headers(api_client_for, settings):
    client = api_client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Bearer hd_not-a-real-token")
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert "RateLimit-Remaining" in response


def test_a_429_shows_nothing_remaining_and_resets_when_retry_after_says(api_client_for, bob, settings):
    settings.RATE_LIMIT_READS = "1/m"
    client = api_client_for(bob)
    client.get("/api/v1/tickets/")
    response = client.get("/api/v1/tickets/")
    assert response.status_code == 429
    limit, remaining, reset = rate_limit_headers(response)
    assert (limit, remaining) == (1, 0)
    assert reset == int(response["Retry-After"])


def test_token_requests_report_the_credentials_quota(api_client_for, settings):
    settings.RATE_LIMIT_CREDENTIALS = "4/m"
    client = api_client_for(None)
    response = client.post("/api/v1/auth/token", {"email": "ghost@example.com", "password": "x"}, format="json")
    assert response.status_code == 401
    assert rate_limit_headers(response)[:2] == (4, 3)


def test_html_pages_carry_no_rate_limit_headers(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "RateLimit-Limit" not in response
