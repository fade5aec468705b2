"""The sign-in page is rate limited per client address and per account, like the API's credentials tier."""

from __future__ import annotations

from django.urls import reverse

from tests.conftest import PASSWORD


def attempt(client, email: str, password: str = "wrong", address: str = "198.51.100.7"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


def test_too_many_attempts_from_one_address_are_refused_with_429(client, alice, settings):
    settings.RATE_LIMIT_CREDENTIALS = "3/m"
    codes = [attempt(client, f"guess{i}@example.com").status_code for i in range(3)]
    refused = attempt(client, alice.email, PASSWORD)
    assert codes == [200, 200, 200]
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session  # even the right password does not sign in


def test_one_account_is_protected_across_addresses(client, alice, settings):
    settings.RATE_LIMIT_CREDENTIALS = "3/m"
    for i in range(3):
        attempt(client, "Alice@Example.com", address=f"203.0.113.{i}")
    assert attempt(client, alice.email, PASSWORD, address="203.0.113.99").status_code == 429


def test_a_normal_sign_in_is_not_affected(client, alice):
    response = attempt(client, alice.email, PASSWORD)
    assert response.status_code == 302
