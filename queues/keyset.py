"""Keyset pagination for the queue: the cursor is the last row's sort key and id, so a page costs the same however
deep it is, and no COUNT(*) is needed to page. Cursors are signed: a crafted one is refused, never queried."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Model, Q, QuerySet

SALT = "queues.keyset"


class BadCursor(Exception):
    """Not a cursor this server gave out for this ordering."""


@dataclass(frozen=True)
class Cursor:
    values: tuple[Any, ...]
    backwards: bool = False


@dataclass
class KeysetPage:
    rows: list[Any]
    next_cursor: str | None
    previous_cursor: str | None


def _encode_value(value: Any) -> Any:
    return {"dt": value.isoformat()} if isinstance(value, datetime) else value


def _decode_value(value: Any) -> Any:
    return datetime.fromisoformat(value["dt"]) if isinstance(value, dict) else value


def _value_of(row: Model | dict[str, Any], name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


def cursor_encode(row: Model | dict[str, Any], ordering: tuple[str, ...], *, backwards: bool = False) -> str:
    """`row` is a model instance or a dict from `.values()` holding the ordering's fields."""
    values = [_encode_value(_value_of(row, field.lstrip("-"))) for field in ordering]
    return signing.dumps({"o": list(ordering), "v": values, "b": backwards}, salt=SALT, compress=True)


def cursor_decode(token: str, ordering: tuple[str, ...]) -> Cursor:
    try:
        data = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError) as error:
        raise BadCursor() from error
    if not isinstance(data, dict) or data.get("o") != list(ordering) or len(data.get("v", ())) != len(ordering):
        raise BadCursor()
    try:
        values = tuple(_decode_value(value) for value in data["v"])
    except (KeyError, TypeError, ValueError) as error:
        raise BadCursor() from error
    return Cursor(values=values, backwards=bool(data.get("b")))


def _beyond(ordering: tuple[str, ...], values: tuple[Any, ...], *, backwards: bool) -> Q:
    """Rows after the position in `ordering` (before it when `backwards`): (a, b, id) > (x, y, z), spelled out."""
    condition = Q()
    for index, field in enumerate(ordering):
        name = field.lstrip("-")
        descending = field.startswith("-") != backwards
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[index]})
        for earlier, value in zip(ordering[:index], values[:index], strict=True):
            step &= Q(**{earlier.lstrip("-"): value})
        condition |= step
    return condition


def _reversed(ordering: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(field[1:] if field.startswith("-") else f"-{field}" for field in ordering)


def keyset_page(queryset: QuerySet[Any], ordering: tuple[str, ...], *, cursor: str | None, size: int) -> KeysetPage:
    """One page of `queryset` in `ordering` (whose last field must be unique, such as the id)."""
    position = cursor_decode(cursor, ordering) if cursor else None
    if position is None:
        rows = list(queryset.order_by(*ordering)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return KeysetPage(rows, cursor_encode(rows[-1], ordering) if more else None, None)
    beyond = _beyond(ordering, position.values, backwards=position.backwards)
    if position.backwards:
        rows = list(queryset.filter(beyond).order_by(*_reversed(ordering))[: size + 1])
        more = len(rows) > size
        rows = list(reversed(rows[:size]))
        if not rows:
            return KeysetPage([], None, None)
        previous = cursor_encode(rows[0], ordering, backwards=True) if more else None
        return KeysetPage(rows, cursor_encode(rows[-1], ordering), previous)
    rows = list(queryset.filter(beyond).order_by(*ordering)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not rows:
        return KeysetPage([], None, None)
    nxt = cursor_encode(rows[-1], ordering) if more else None
    return KeysetPage(rows, nxt, cursor_encode(rows[0], ordering, backwards=True))
