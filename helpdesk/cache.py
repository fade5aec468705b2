"""The cache: shared by every worker, never the source of truth, so when it fails the site keeps serving.

Without REDIS_URL, counters (rate limits, allauth's sign-in limits) live in the database, in `helpdesk_cache`: every
gunicorn worker and host using the database sees the same counts. Django's own DatabaseCache increments by reading
then writing, which loses counts when two workers increment at once (what django-ratelimit's check E003 warns of),
and its `add` leans on a failing INSERT for a key that exists. `SharedDatabaseCache` makes the two operations
django-ratelimit uses atomic on both databases:

- `add` is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE expired` statement (PostgreSQL 9.5+, SQLite 3.24+): the
  unique key decides which of two concurrent adds wins, with no error in the database's log;
- `set` is one `INSERT ... ON CONFLICT DO UPDATE` too, where Django's counts the rows and reads before it writes;
- `incr` reads the row, then writes the new count only if the row still holds what it read (`UPDATE ... WHERE
  value = <read>`), reading again when another worker wrote in between: two round trips, where a transaction with
  `SELECT ... FOR UPDATE` took four on every rate-limited request. After INCR_ATTEMPTS lost races it reads under
  that lock instead (`SELECT ... FOR UPDATE` on PostgreSQL, the write lock of SQLite's `BEGIN IMMEDIATE`).

With REDIS_URL, django-redis (INCR is atomic in Redis) with IGNORE_EXCEPTIONS: a Redis outage reads as misses.

Either way a failing cache fails open: reads miss, writes are dropped, rate limits let requests through
(RATELIMIT_FAIL_OPEN), `/readyz` says `cache: degraded`, and the failure is logged at most once a minute per process
(`OncePerInterval`, on the `helpdesk.cache` logger).
"""

from __future__ import annotations

import base64
import functools
import logging
import pickle
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connections, models, router, transaction
from django.utils.timezone import now as tz_now

logger = logging.getLogger("helpdesk.cache")

# Expired rows are deleted by about one `add` or `set` in this many (Django's own culling counts rows on every write).
PURGE_ONE_IN = 200
# `incr` writes only if the counter did not change since it read it, and reads again if it did; after this many
# tries it takes a lock instead.
INCR_ATTEMPTS = 5


def _purge_due() -> bool:
    """About one write in PURGE_ONE_IN also deletes the expired rows."""
    return random.randrange(PURGE_ONE_IN) == 0  # noqa: S311 (not for security)


class OncePerInterval(logging.Filter):
    """Lets a message through once per `seconds` (per logger and message), counting what it held back.

    For failures that repeat on every request while a dependency is down: one line a minute says so."""

    def __init__(self, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.seconds = seconds
        self.clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self._held: dict[tuple[str, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.seconds:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        self._last[key] = now
        held = self._held.pop(key, 0)
        if held:
            record.msg = f"{record.msg} ({held} more since the last report)"
        return True


# After a failure to even reach the database, the cache is skipped (failing open at once) for this long, so a request
# during an outage does not wait DATABASE_CONNECT_TIMEOUT or DATABASE_POOL_TIMEOUT again for every cache operation.
UNREACHABLE_PAUSE_SECONDS = 5.0
_skip_until = {"moment": 0.0}  # per process, shared by its threads
clock = time.monotonic  # what the pause is measured with; tests give their own


def cache_failed(operation: str, error: BaseException) -> None:
    logger.warning("cache unavailable, failing open (%s): %s", operation, error)


def _miss(operation: str) -> Any:
    return {} if operation == "get_many" else None if operation == "set" else False


def _no_count(operation: str) -> Any:
    raise ValueError("the cache could not count")  # django-ratelimit reads it as no count: the request goes through


def _connected(cache: DatabaseCache) -> bool:
    """Whether the failed operation had a connection: a lock timeout did; a database that is down never gave one."""
    return connections[router.db_for_write(cache.cache_model_class)].connection is not None


def _fails_open(fallback: Callable[[str], Any] = _miss) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A database error in a cache operation is logged and answered with `fallback` (a miss, or no count)."""

    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def operation(self: SharedDatabaseCache, *args: Any, **kwargs: Any) -> Any:
            if clock() < _skip_until["moment"]:
                return fallback(method.__name__)
            try:
                return method(self, *args, **kwargs)
            except DatabaseError as error:
                cache_failed(method.__name__, error)
                if not _connected(self):
                    _skip_until["moment"] = clock() + UNREACHABLE_PAUSE_SECONDS
                return fallback(method.__name__)

        return operation

    return decorate


class SharedDatabaseCache(DatabaseCache):
    """Django's database cache with an atomic `add` and `incr`, and errors that fail open (see the module)."""

    def _cursor_target(self) -> tuple[str, Any, str]:
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        return db, connection, connection.ops.quote_name(self._table)

    def _expiry(self, timeout: Any, connection: Any) -> Any:
        seconds = self.get_backend_timeout(timeout)
        moment = datetime.max if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)
        return connection.ops.adapt_datetimefield_value(moment.replace(microsecond=0))

    @_fails_open()
    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        _, connection, table = self._cursor_target()
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        pickled = self._pickled(value)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s) "  # noqa: S608 (our table)
                f"ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, expires = excluded.expires "
                f"WHERE {table}.expires < %s",
                [key, pickled, self._expiry(timeout, connection), now],
            )
            added = cursor.rowcount == 1
            if added and _purge_due():
                cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608
        return added

    @_fails_open()
    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        """One statement. Django's counts the table's rows (to cull by count, which MAX_ENTRIES leaves to the purge
        here), then reads the row in a transaction before writing it: five round trips, on every page view that
        records who has a ticket open (tickets.presence)."""
        key = self.make_and_validate_key(key, version=version)
        _, connection, table = self._cursor_target()
        pickled = self._pickled(value)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s) "  # noqa: S608 (our table)
                f"ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
                [key, pickled, self._expiry(timeout, connection)],
            )
            if _purge_due():
                now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
                cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608

    @_fails_open(_no_count)
    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        db, connection, table = self._cursor_target()
        with connection.cursor() as cursor:
            for _ in range(INCR_ATTEMPTS):
                value, stored = self._read_counter(cursor, key, connection)
                # Written only if no other worker wrote since the read; else read again.
                cursor.execute(
                    f"UPDATE {table} SET value = %s WHERE cache_key = %s AND value = %s",  # noqa: S608 (our table)
                    [self._pickled(value + delta), key, stored],
                )
                if cursor.rowcount == 1:
                    return value + delta
        return self._incr_locked(key, delta, db, connection, table)

    def _incr_locked(self, key: str, delta: int, db: str, connection: Any, table: str) -> int:
        """Under heavy contention: read the row under a lock and write it in the same transaction."""
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            value, _ = self._read_counter(cursor, key, connection, lock=lock)
            cursor.execute(f"UPDATE {table} SET value = %s WHERE cache_key = %s", [self._pickled(value + delta), key])  # noqa: S608
        return value + delta

    def _read_counter(self, cursor: Any, key: str, connection: Any, *, lock: str = "") -> tuple[int, str]:
        """The counter's value and its stored text; a ValueError when it is missing or expired."""
        table = connection.ops.quote_name(self._table)
        cursor.execute(f"SELECT value, expires FROM {table} WHERE cache_key = %s{lock}", [key])  # noqa: S608
        row = cursor.fetchone()
        if row is None or self._converted_expiry(row[1], connection) < tz_now():
            raise ValueError(f"Key '{key}' not found")
        stored = connection.ops.process_clob(row[0])
        return pickle.loads(base64.b64decode(stored.encode())), stored  # noqa: S301 (our own rows)

    def _pickled(self, value: Any) -> str:
        return base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")

    @staticmethod
    def _converted_expiry(expires: Any, connection: Any) -> datetime:
        expression = models.Expression(output_field=models.DateTimeField())
        for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
            expires = converter(expires, expression, connection)
        return expires

    # Django's own, failing open.
    get_many = _fails_open()(DatabaseCache.get_many)
    touch = _fails_open()(DatabaseCache.touch)
    delete = _fails_open()(DatabaseCache.delete)
    has_key = _fails_open()(DatabaseCache.has_key)
