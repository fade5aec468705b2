"""SQL built by the ORM once per process, for the per-request queries where compiling costs more than running.

On the busiest reads (the bearer token's lookup, a page of the ticket list) the ORM took longer to compile the query
than the database took to answer it, on every request. Two tools, both taking their SQL from the ORM itself, so the
text follows the models:

- `compiled_once(model, build, output_field=...)`: a subquery annotation (an `Exists`, an `ArraySubquery`) compiled
  the first time, handed out as a `RawSQL`, which costs nothing to compile. Only for queries whose outermost table
  is the model's own (the ORM names the base table's alias after the table) and which are never nested inside
  another query (a nested query renames its aliases; RawSQL text cannot follow).
- `CompiledQuery(build)`: a whole query compiled once, run with new values (ids, or text) as parameters;
  `rows(...)` gives a values_list query's tuples, `objects(...)` and `first(...)` build the instances (with their
  `select_related` rows and annotations) as the ORM's own iteration does. Used for what every request of an API
  client or a signed-in person reads (the bearer token, the session, its user, an agent's saved views) and for the
  staff ticket page's queries (tickets/staff_page.py). On PostgreSQL each is a prepared statement, parsed and planned
  once per connection, unless its best plan depends on its values (`prepared=False`). `objects_together` sends
  several of them at once (PostgreSQL's pipeline mode): a page's small reads in one round trip.

And `prepared_statements()`: the ORM's own queries in a block as prepared statements, for a page of tickets whose
values are the same on every request (the API list unfiltered, the queue's views of fixed statuses).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators


def compiled_once(model: type[Model], build: Callable[[], Expression], *, output_field: Field) -> RawSQL:
    """The expression `build()` makes, as annotated on a queryset of `model`, compiled once per process and database
    vendor. Joins it reaches through OuterRef (`user__email`) must be joined by the queries that use it too, under
    the ORM's own alias (the table's name), for example by their `select_related`."""
    sql, params = _compiled_expression(model, build, connections[DEFAULT_DB_ALIAS].vendor)
    return RawSQL(sql, params, output_field=output_field)  # noqa: S611 -- SQL the ORM wrote, parameters apart


@functools.cache
def _compiled_expression(
    model: type[Model], build: Callable[[], Expression], vendor: str
) -> tuple[str, tuple[Any, ...]]:
    query = model._default_manager.all().query
    query.add_annotation(build(), "compiled")
    sql, params = query.get_compiler(using=DEFAULT_DB_ALIAS).compile(query.annotations["compiled"])
    return sql, tuple(params)


# Ids a query of a page of rows takes at most (`id_batches`): the largest page the API serves.
ID_BATCH_SIZES = (1, 5, 25, 100)

# Stand in for the values a query is run with while it is compiled; their places among the parameters are then
# known. Values no column holds: numbers for ids (a number column refuses text), text for text columns.
NUMBER_PLACEHOLDERS = tuple(-7_340_019_311 - number for number in range(ID_BATCH_SIZES[-1]))
TEXT_PLACEHOLDERS = tuple(f"\x00compiled-query-value-{number}\x00" for number in range(3))


def id_batches(ids: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """`ids` (a page's rows' ids) for a CompiledQuery that takes them as an `__in` list: in batches of at most the
    largest of ID_BATCH_SIZES, each padded with its last id up to one of those sizes, so the query is compiled (and
    prepared) once per size rather than once per number of ids. The repeated id matches nothing more."""
    for start in range(0, len(ids), ID_BATCH_SIZES[-1]):
        batch = tuple(ids[start : start + ID_BATCH_SIZES[-1]])
        size = next(size for size in ID_BATCH_SIZES if size >= len(batch))
        yield batch + batch[-1:] * (size - len(batch))


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    value_at: dict[int, int]  # parameter position -> which value goes there
    select: list[Any]  # the compiler's select, klass_info and annotation_col_map, to build instances as the ORM does
    klass_info: dict[str, Any] | None
    annotation_col_map: dict[str, int]
    converters: list[tuple[int, list[Any], Any]]  # (position, the ORM's converters, column) where a column has any


class CompiledQuery:
    """A query made on every request, its SQL compiled once per process, database vendor and `variant`.

    `build(*values, variant=..., user=...)` makes the queryset (`variant` and `user` are passed only when given);
    it must use each value as a plain parameter (`ticket_id=value`), numbers unless `text=True`. `rows` runs a
    `values_list` queryset (plain columns, no annotations, whose columns values_list would reorder); `objects`,
    `first` a model queryset, which may `select_related` and `annotate`. A `variant` names what changes the SQL
    itself (whether internal notes are shown); `user` is handed to `build` when it compiles, so only for queries
    whose SQL is the same for every user they are run for.

    `prepared` (the default): on PostgreSQL the values are bound on the server, so psycopg prepares the query on the
    connection once it has run there `prepare_threshold` times (settings.DATABASE_PREPARED_STATEMENTS); the database
    then neither parses nor plans it again (planning the bearer token's lookup took it longer than running it). A
    prepared query may be given one plan for every value: fine for a lookup by a unique key, the rows of one ticket
    read through an index on the ticket, or a query without values; `prepared=False` where the best plan depends on
    the value (a requester's tickets: a handful for most, thousands for a few)."""

    def __init__(self, build: Callable[..., QuerySet[Any, Any]], *, text: bool = False, prepared: bool = True) -> None:
        self._build = build
        self._placeholders = TEXT_PLACEHOLDERS if text else NUMBER_PLACEHOLDERS
        self._prepared = prepared
        self._compiled: dict[tuple[str, int, Hashable, bool], _Compiled] = {}

    def rows(self, *values: Any, variant: Hashable = None, user: Any = None) -> list[tuple[Any, ...]]:
        return self._run(values, variant, user, first=False)[1]

    def objects(self, *values: Any, variant: Hashable = None, user: Any = None) -> list[Any]:
        return self._instances(*self._run(values, variant, user, first=False))

    def call(self, *values: Any, variant: Hashable = None, user: Any = None) -> Call:
        """This query with its values, for `objects_together`."""
        return Call(self, values, variant, user)

    def first(self, *values: Any, variant: Hashable = None, user: Any = None) -> Any | None:
        found = self._instances(*self._run(values, variant, user, first=True))
        return found[0] if found else None

    @staticmethod
    def _instances(compiled: _Compiled, rows: list[tuple[Any, ...]]) -> list[Any]:
        """Each row's model instance, its `select_related` instances and its annotations, as ModelIterable does."""
        if compiled.klass_info is None:
            raise ValueError("CompiledQuery.objects runs model querysets only.")
        fields = compiled.klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        names = [column.target.attname for column, _sql, _alias in compiled.select[start:end]]
        model = compiled.klass_info["model"]
        populators = get_related_populators(compiled.klass_info, compiled.select, DEFAULT_DB_ALIAS)
        found = []
        for row in rows:
            instance = model.from_db(DEFAULT_DB_ALIAS, names, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in compiled.annotation_col_map.items():
                setattr(instance, name, row[position])
            found.append(instance)
        return found

    def _run(
        self, values: tuple[Any, ...], variant: Hashable, user: Any, *, first: bool
    ) -> tuple[_Compiled, list[tuple[Any, ...]]]:
        connection = connections[DEFAULT_DB_ALIAS]
        compiled, params = self._bound(connection, values, variant, user, first=first)
        with _cursor(connection, prepared=self._prepared) as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return compiled, _converted(rows, compiled.converters, connection)

    def _bound(
        self, connection: BaseDatabaseWrapper, values: tuple[Any, ...], variant: Hashable, user: Any, *, first: bool
    ) -> tuple[_Compiled, list[Any]]:
        """The compiled query (compiled now if this is its first run) and its parameters with `values` in place."""
        key = (connection.vendor, len(values), variant, first)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(len(values), variant, user, connection, first=first)
        params = list(compiled.params)
        for position, which in compiled.value_at.items():
            params[position] = values[which]
        return compiled, params

    def _compile(
        self, count: int, variant: Hashable, user: Any, connection: BaseDatabaseWrapper, *, first: bool
    ) -> _Compiled:
        placeholders = self._placeholders[:count]
        extra = {name: value for name, value in (("variant", variant), ("user", user)) if value is not None}
        queryset = self._build(*placeholders, **extra)
        compiler = (queryset[:1] if first else queryset).query.get_compiler(using=DEFAULT_DB_ALIAS)
        sql, params = compiler.as_sql()
        kind = type(self._placeholders[0])
        value_at = {
            position: placeholders.index(param)
            for position, param in enumerate(params)
            if type(param) is kind and param in placeholders
        }
        values = queryset._iterable_class is ValuesListIterable
        if set(value_at.values()) != set(range(count)) or (values and queryset.query.annotation_select):
            raise ValueError("CompiledQuery's queryset must use each value as a parameter; values_list plain columns.")
        if not values and queryset._iterable_class is not ModelIterable:
            raise ValueError("CompiledQuery runs values_list querysets and model querysets only.")
        klass_info = None if values else compiler.klass_info
        converters = [
            (position, functions, column)
            for position, (column, _sql, _alias) in enumerate(compiler.select)
            if (functions := connection.ops.get_db_converters(column) + column.get_db_converters(connection))
        ]
        return _Compiled(
            sql, tuple(params), value_at, compiler.select, klass_info, compiler.annotation_col_map, converters
        )


@dataclass(frozen=True)
class Call:
    """A CompiledQuery with the values to run it with (`CompiledQuery.call`)."""

    query: CompiledQuery
    values: tuple[Any, ...]
    variant: Hashable = None
    user: Any = None


def objects_together(*calls: Call) -> list[list[Any]]:
    """Each call's instances, as `CompiledQuery.objects` gives them, the queries sent together: on PostgreSQL in
    psycopg's pipeline mode, every query sent before any answer is read, so a page's few small reads cost one round
    trip rather than one each. Elsewhere (SQLite), or where a query is not prepared, one after another."""
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    if not _binds_on_server(connection) or not all(call.query._prepared for call in calls):
        return [call.query.objects(*call.values, variant=call.variant, user=call.user) for call in calls]
    bound = [call.query._bound(connection, call.values, call.variant, call.user, first=False) for call in calls]
    cursors = [_cursor(connection, prepared=True) for _ in bound]
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            for cursor, (compiled, params) in zip(cursors, bound, strict=True):
                cursor.execute(compiled.sql, params)
        with connection.wrap_database_errors:
            answers = [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()
    return [
        CompiledQuery._instances(compiled, _converted(rows, compiled.converters, connection))
        for (compiled, _params), rows in zip(bound, answers, strict=True)
    ]


def _cursor(connection: BaseDatabaseWrapper, *, prepared: bool) -> CursorWrapper:
    """Django's cursor (its connection checks and error wrapping); for a prepared query on PostgreSQL with its psycopg
    cursor swapped for Django's own that binds values on the server (Django's default binds them in the SQL text,
    which psycopg never prepares). Only on a connection in UTC, as every one of ours is: in another time zone
    Django's own cursors carry a timestamp loader of their own."""
    cursor = connection.cursor()
    if prepared and _binds_on_server(connection):
        from django.db.backends.postgresql.base import ServerBindingCursor

        cursor.cursor.close()
        cursor.cursor = ServerBindingCursor(connection.connection)
    return cursor


def _binds_on_server(connection: BaseDatabaseWrapper) -> bool:
    """Whether `_cursor` gives a prepared query a cursor that binds its values on the server (see there)."""
    return _can_prepare(connection) and connection.timezone_name == "UTC"


def _can_prepare(connection: BaseDatabaseWrapper) -> bool:
    """PostgreSQL with preparing on (settings.DATABASE_PREPARED_STATEMENTS), while Django does not log queries (DEBUG,
    a test counting them): psycopg keeps no text of a prepared query for the log. The connection must be open."""
    return (
        connection.vendor == "postgresql"
        and not connection.queries_logged
        and connection.connection.prepare_threshold is not None
    )


@contextmanager
def prepared_statements(*, when: bool = True) -> Iterator[None]:
    """In the block (`when` it is true), the ORM's queries bind their values on the server on PostgreSQL, so psycopg
    prepares each as it prepares a CompiledQuery, and the database neither parses nor plans it again.

    Only for a query run with the same values on every request (the statuses of a fixed view), or with values that
    cannot change its best plan (a page's position in the index it is read in): a prepared query may be given one
    plan for every value, which for a filter on a person or a team can be the wrong plan for most of them."""
    connection = connections[DEFAULT_DB_ALIAS]
    if when:
        connection.ensure_connection()
    if not when or not _can_prepare(connection):
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    psycopg_connection = connection.connection
    usual = psycopg_connection.cursor_factory
    psycopg_connection.cursor_factory = ServerBindingCursor  # Django's cursor() makes its cursors with this
    try:
        yield
    finally:
        psycopg_connection.cursor_factory = usual


def _converted(
    rows: list[tuple[Any, ...]], converters: list[tuple[int, list[Any], Any]], connection: BaseDatabaseWrapper
) -> list[tuple[Any, ...]]:
    """The rows' values as the ORM reads them (SQLite keeps datetimes as text, for one)."""
    if not converters:
        return rows
    converted = []
    for row in rows:
        values = list(row)
        for position, functions, column in converters:
            for convert in functions:
                values[position] = convert(values[position], column, connection)
        converted.append(tuple(values))
    return converted
