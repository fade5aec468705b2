"""No test depends on the wall clock: django-ratelimit's windows stand still in tests (tests/conftest.py), so a
request pair counted across a window boundary cannot turn a 429 into a 200."""

from __future__ import annotations

import django_ratelimit.core


def test_the_rate_limit_clock_does_not_move_during_a_test(api_client_for, bob, settings):
    settings.RATE_LIMIT_READS = "1/s"  # the shortest window there is: any tick of the real clock would reset it
    client = api_client_for(bob)
    before = django_ratelimit.core.time.time()

    statuses = [client.get("/api/v1/tickets/").status_code for _ in range(3)]

    assert statuses == [200, 429, 429]
    assert django_ratelimit.core.time.time() == before
