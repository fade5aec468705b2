"""The limiter against a real Redis, the shared cache production counts in.

Skipped when Redis is unreachable, unless REQUIRE_REDIS is set (CI sets it): then a missing Redis fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.core import checks
from django.core.cache import cache

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_is_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_cache(settings) -> Iterator[None]:
    if not redis_is_reachable():
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(f"REQUIRE_REDIS is set but Redis at {REDIS_URL} does not answer")
        pytest.skip(f"Redis at {REDIS_URL} does not answer (set REQUIRE_REDIS to fail instead)")
    # A prefix of our own: two runs sharing this Redis (SQLite and PostgreSQL side by side) never see each other.
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    cache.delete_pattern("*")
    yield
    cache.delete_pattern("*")


@pytest.mark.usefixtures("redis_cache")
class TestRateLimitsOnRedis:
    def test_django_ratelimit_accepts_the_redis_cache_without_warnings(self):
        assert checks.run_checks(tags=["django_ratelimit"]) == []

    def test_writes_over_the_limit_are_refused_with_429(self, api_client_for, alice, settings):
        settings.RATE_LIMIT_WRITES = "2/m"
        client = api_client_for(alice)
        codes = [client.post("/api/v1/tickets/", {"subject": f"#{n}"}, format="json").status_code for n in range(3)]
        assert codes == [201, 201, 429]

    def test_the_count_lives_in_redis(self, api_client_for, bob, settings):
        settings.RATE_LIMIT_READS = "5/m"
        client = api_client_for(bob)
        client.get("/api/v1/tickets/")
        client.get("/api/v1/tickets/")
        counters = cache.keys("rl:*")
        assert len(counters) == 1
        assert cache.get(counters[0]) == 2

    def test_headers_count_down_from_redis(self, api_client_for, bob, settings):
        settings.RATE_LIMIT_READS = "5/m"
        client = api_client_for(bob)
        remaining = [client.get("/api/v1/tickets/")["RateLimit-Remaining"] for _ in range(3)]
        assert remaining == ["4", "3", "2"]

    def test_credentials_are_limited_per_account_across_addresses(self, api_client_for, alice, settings):
        settings.RATE_LIMIT_CREDENTIALS = "1/m"
        client = api_client_for(None)
        body = {"email": alice.email, "password": "x"}
        assert client.post("/api/v1/auth/token", body, format="json", REMOTE_ADDR="198.51.100.1").status_code == 401
        assert client.post("/api/v1/auth/token", body, format="json", REMOTE_ADDR="198.51.100.2").status_code == 429
