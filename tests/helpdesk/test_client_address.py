"""Anonymous clients are counted by address: REMOTE_ADDR, or X-Forwarded-For only when TRUSTED_PROXIES vouch for it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from helpdesk.ratelimits import client_ip

TOKEN_URL = "/api/v1/auth/token"


def ask_for_token(client, email: str, remote_addr: str, forwarded_for: str | None = None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(TOKEN_URL, {"email": email, "password": "x"}, format="json", **extra)


def address_of(remote_addr: str, forwarded_for: str | None = None) -> str:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return client_ip(RequestFactory().get("/api/v1/tickets/", REMOTE_ADDR=remote_addr, **extra))


def test_a_client_rotating_x_forwarded_for_stays_limited(api_client_for, settings):
    settings.RATE_LIMIT_CREDENTIALS = "2/m"
    client = api_client_for(None)
    codes = [
        ask_for_token(client, f"user{n}@example.com", "198.51.100.7", forwarded_for=f"203.0.113.{n}").status_code
        for n in range(4)
    ]
    assert codes == [401, 401, 429, 429]


def test_behind_a_trusted_proxy_each_real_client_has_its_own_quota(api_client_for, settings):
    settings.RATE_LIMIT_CREDENTIALS = "1/m"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    client = api_client_for(None)
    assert ask_for_token(client, "one@example.com", "10.0.0.2", "203.0.113.5").status_code == 401
    assert ask_for_token(client, "two@example.com", "10.0.0.2", "203.0.113.5").status_code == 429
    assert ask_for_token(client, "three@example.com", "10.0.0.2", "203.0.113.6").status_code == 401


def test_behind_a_trusted_proxy_hops_the_client_prepends_are_ignored(api_client_for, settings):
    settings.RATE_LIMIT_CREDENTIALS = "1/m"
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    client = api_client_for(None)
    ask_for_token(client, "one@example.com", "10.0.0.2", "192.0.2.1, 203.0.113.5")
    assert ask_for_token(client, "two@example.com", "10.0.0.2", "192.0.2.99, 203.0.113.5").status_code == 429


def test_untrusted_peer_is_counted_by_its_own_address():
    assert address_of("198.51.100.7", forwarded_for="203.0.113.5") == "198.51.100.7"


def test_trusted_proxy_chain_is_walked_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "172.16.0.1"]
    assert address_of("10.0.0.2", forwarded_for="192.0.2.1, 203.0.113.5, 172.16.0.1") == "203.0.113.5"


def test_a_chain_of_only_trusted_proxies_counts_the_nearest_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address_of("10.0.0.2", forwarded_for="10.0.0.9") == "10.0.0.2"
    assert address_of("10.0.0.2") == "10.0.0.2"


@pytest.mark.parametrize("forwarded_for", ["not-an-address", "203.0.113.5:4711", "", " , ", "999.1.1.1", "\x00"])
def test_malformed_forwarded_values_fall_back_to_the_proxy_address(settings, forwarded_for):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert address_of("10.0.0.2", forwarded_for=forwarded_for) == "10.0.0.2"


def test_malformed_forwarded_values_never_break_the_api(api_client_for, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    response = ask_for_token(api_client_for(None), "one@example.com", "10.0.0.2", "garbage, ,::zz")
    assert response.status_code == 401


def test_ipv6_clients_behind_an_ipv6_proxy_are_recognised(settings):
    settings.TRUSTED_PROXIES = ["fd00::/8"]
    assert address_of("fd00::1", forwarded_for="2001:db8::5") == "2001:db8::5"


def test_an_ipv4_client_seen_through_an_ipv6_socket_is_the_same_client():
    assert address_of("::ffff:198.51.100.7") == "198.51.100.7"


def test_a_trusted_proxies_entry_that_is_not_an_address_refuses_to_serve(api_client_for, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.internal"]
    with pytest.raises(ImproperlyConfigured, match=r"proxy\.internal"):
        api_client_for(None).get("/api/v1/tickets/")
