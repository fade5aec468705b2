"""SQL built by the ORM once per process, for the per-request queries where compiling costs more than running.

On the busiest reads (the bearer token's lookup, a page of the ticket list) the ORM took longer to compile the query
than the database took to answer it, on every request. Two tools, both taking their SQL from the ORM itself, so the
text follows the models:

- `compiled_once(model, build, output_field=...)`: a subquery annotation (an `Exists`, an `ArraySubquery`) compiled
  the first time, handed out as a `RawSQL`, which costs nothing to compile. Only for queries whose outermost table
  is the model's own (the ORM names the base table's alias after the table) and which are never nested inside
  another query (a nested query renames its aliases; RawSQL text cannot follow).
- `CompiledLookup(build)`: a whole query that finds one row by one value, compiled once; `first(value)` runs it
  and builds the instance (with its `select_related` rows and annotations) as the ORM's own iteration does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)

# Stands in for the looked-up value while the query is compiled; its place among the parameters is then known.
_PLACEHOLDER = "\x00compiled-lookup-value\x00"


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


@dataclass(frozen=True)
class _Shape:
    """A compiled query and what the ORM's iteration needs to turn its rows into instances."""

    sql: str
    params: tuple[Any, ...]
    select: list[Any]
    klass_info: dict[str, Any]
    annotation_col_map: dict[str, int]


class CompiledLookup(Generic[M]):
    """`build(value).first()`, with the SQL compiled once per process (and database vendor).

    `build` makes the queryset for a value; it must use the value once, as a plain parameter (`digest=value`), and
    may `select_related` and `annotate`."""

    def __init__(self, build: Callable[[Any], QuerySet[M]]) -> None:
        self._build = build

    def first(self, value: Any) -> M | None:
        connection = connections[DEFAULT_DB_ALIAS]
        shape = self._shape(connection.vendor)
        params = [value if param == _PLACEHOLDER else param for param in shape.params]
        with connection.cursor() as cursor:
            cursor.execute(shape.sql, params)
            row = cursor.fetchone()
        return None if row is None else _instance(_converted(row, shape, connection), shape, connection.alias)

    @functools.cache  # noqa: B019 -- one per lookup, kept for the process's life on purpose
    def _shape(self, vendor: str) -> _Shape:
        queryset = self._build(_PLACEHOLDER)[:1]
        compiler = queryset.query.get_compiler(using=DEFAULT_DB_ALIAS)
        sql, params = compiler.as_sql()
        if list(params).count(_PLACEHOLDER) != 1:
            raise ValueError("CompiledLookup's queryset must use its value exactly once, as a parameter.")
        return _Shape(sql, tuple(params), compiler.select, compiler.klass_info, compiler.annotation_col_map)


def _converted(row: tuple[Any, ...], shape: _Shape, connection: BaseDatabaseWrapper) -> tuple[Any, ...]:
    """The row's values as the ORM reads them (SQLite keeps datetimes as text, for one)."""
    values = list(row)
    for position, (expression, _sql, _alias) in enumerate(shape.select):
        for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
            values[position] = converter(values[position], expression, connection)
    return tuple(values)


def _instance(row: tuple[Any, ...], shape: _Shape, db: str) -> Model:
    """The model instance of one row, its `select_related` instances and its annotations, as ModelIterable does."""
    fields = shape.klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    names = [column[0].target.attname for column in shape.select[start:end]]
    instance = shape.klass_info["model"].from_db(db, names, row[start:end])
    for populator in get_related_populators(shape.klass_info, shape.select, db):
        populator.populate(row, instance)
    for name, position in shape.annotation_col_map.items():
        setattr(instance, name, row[position])
    return instance
