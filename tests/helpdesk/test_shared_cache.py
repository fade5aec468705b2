"""The default cache without Redis: counters in the database, shared by every worker, with the atomic `add` and
`incr` django-ratelimit needs, failing open when the database does not answer. On SQLite and PostgreSQL. Several
gunicorn workers sharing one quota: tests/faults/test_rate_limits_across_workers.py."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.utils import timezone
from django_ratelimit.core import get_usage

from helpdesk import cache as shared_cache
from helpdesk.cache import OncePerInterval, SharedDatabaseCache

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache() -> SharedDatabaseCache:
    return SharedDatabaseCache("helpdesk_cache", {})


def test_add_counts_once_and_incr_counts_on(cache):
    assert cache.add("hits", 1, 60) is True
    assert cache.add("hits", 1, 60) is False
    assert [cache.incr("hits") for _ in range(3)] == [2, 3, 4]
    assert cache.get("hits") == 4


def test_an_expired_counter_starts_again(cache):
    cache.add("hits", 5, 60)
    connection.cursor().execute(
        "UPDATE helpdesk_cache SET expires = %s",
        [connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(seconds=1))],
    )
    assert cache.add("hits", 1, 60) is True
    assert cache.get("hits") == 1


def test_incrementing_a_missing_counter_is_a_value_error(cache):
    with pytest.raises(ValueError):
        cache.incr("nothing-here")


def test_django_ratelimit_counts_in_it(cache, settings):
    settings.CACHES = {"default": {"BACKEND": "helpdesk.cache.SharedDatabaseCache", "LOCATION": "helpdesk_cache"}}
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    usages = [get_usage(request, group="g", key="ip", rate="2/h", increment=True) for _ in range(3)]
    assert [usage["should_limit"] for usage in usages] == [False, False, True]


def test_a_database_error_fails_open_and_is_logged(cache, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(connection, "cursor", refuse)
    with caplog.at_level(logging.WARNING, logger="helpdesk.cache"):
        assert cache.get("hits", "default") == "default"
        assert cache.add("hits", 1, 60) is False
        cache.set("hits", 1, 60)
        with pytest.raises(ValueError):
            cache.incr("hits")  # django-ratelimit reads this as "no count": the request goes through
    assert "cache unavailable, failing open" in caplog.text


def test_an_outage_is_logged_once_a_minute():
    clock = [1000.0]
    once = OncePerInterval(seconds=60, clock=lambda: clock[0])

    def record() -> logging.LogRecord:
        return logging.LogRecord("helpdesk.cache", logging.WARNING, __file__, 1, "cache unavailable", None, None)

    passed = [once.filter(record()) for _ in range(5)]
    clock[0] += 60
    later = record()

    assert passed == [True, False, False, False, False]
    assert once.filter(later) is True
    assert later.msg == "cache unavailable (4 more since the last report)"


def test_an_unreachable_database_is_not_waited_for_again_for_a_while(cache, monkeypatch):
    calls = []
    now = [100.0]

    def unreachable(*args, **kwargs):
        calls.append(1)
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", unreachable)
    monkeypatch.setattr(shared_cache, "_connected", lambda cache: False)  # the database is down, not just busy
    monkeypatch.setattr(shared_cache, "clock", lambda: now[0])
    monkeypatch.setitem(shared_cache._skip_until, "moment", 0.0)

    cache.get("hits")
    cache.get("hits")  # within the pause: answered at once, without trying the database
    now[0] += shared_cache.UNREACHABLE_PAUSE_SECONDS
    cache.get("hits")

    assert len(calls) == 2


def test_set_writes_in_one_statement_and_get_reads_it_back(cache, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(shared_cache, "_purge_due", lambda: False)  # the purge of expired rows comes 1 write in 200
    with django_assert_num_queries(1):
        cache.set("presence", {"7": "Bob"}, 30)
    with django_assert_num_queries(1):
        cache.set("presence", {"7": "Bob", "9": "Carol"}, 30)  # over the row that is there

    assert cache.get("presence") == {"7": "Bob", "9": "Carol"}


def test_set_keeps_djangos_timeouts(cache):
    cache.set("gone", 1, 0)  # 0: expired at once
    cache.set("kept", 2, None)  # None: never expires
    cache.add("counter", 5, 60)
    cache.set("counter", 1, 60)  # set replaces what add put there

    assert cache.get("gone") is None
    assert cache.get("kept") == 2
    assert cache.get("counter") == 1
    assert cache.add("counter", 9, 60) is False


def _another_worker_writes_before_each_compare_and_set(cache, values):
    """Runs on our connection what another worker's increment would have written just before `incr` writes."""
    writes = iter(values)

    def interfere(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "AND value =" in sql:
            value = next(writes, None)
            if value is not None:
                execute(
                    "UPDATE helpdesk_cache SET value = %s WHERE cache_key = %s",
                    [cache._pickled(value), params[1]],
                    False,
                    context,
                )
        return execute(sql, params, many, context)

    return interfere


def test_incr_is_two_round_trips(cache, django_assert_num_queries):
    cache.add("hits", 1, 60)

    with django_assert_num_queries(2):
        assert cache.incr("hits") == 2


def test_a_count_another_worker_wrote_between_read_and_write_is_not_lost(cache):
    cache.add("hits", 1, 60)

    with connection.execute_wrapper(_another_worker_writes_before_each_compare_and_set(cache, [5])):
        assert cache.incr("hits") == 6
    assert cache.get("hits") == 6


def test_a_counter_that_keeps_changing_is_incremented_under_a_lock(cache):
    cache.add("hits", 1, 60)
    races = [100 + number for number in range(shared_cache.INCR_ATTEMPTS)]

    with connection.execute_wrapper(_another_worker_writes_before_each_compare_and_set(cache, races)):
        assert cache.incr("hits") == races[-1] + 1
    assert cache.get("hits") == races[-1] + 1


def test_now_and_then_a_write_also_deletes_the_expired_rows(cache, monkeypatch):
    cache.set("old", 1, 60)
    connection.cursor().execute(
        "UPDATE helpdesk_cache SET expires = %s",
        [connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(seconds=1))],
    )
    monkeypatch.setattr(shared_cache, "_purge_due", lambda: True)

    cache.set("new", 2, 60)

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM helpdesk_cache")
        assert [key for (key,) in cursor.fetchall()] == [cache.make_key("new")]
