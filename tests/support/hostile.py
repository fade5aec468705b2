"""Hostile input for the property tests: deep nesting, unstorable and control characters, huge numbers, odd cursors.

Every door must answer these with a 4xx (the API's error body, or a page saying what to change), never a 500,
and leave nothing half-written.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import Any

from django.apps import apps
from django.db import connection
from django.http import HttpResponse
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

DEEP_JSON = "[" * 50_000 + "]" * 50_000

# The characters the outside run used, and their neighbours: NUL and lone surrogates (unstorable), other C0 and C1
# controls, direction overrides, a byte-order mark, the replacement character, a non-character.
ODD_CHARACTERS = ["\x00", "\ud800", "\udfff", "\x01", "\x08", "\x1b", "\x7f", "\x85", "\u202e", "\ufeff", "\ufffd"]
URL_SAFE_ODD_CHARACTERS = [char for char in ODD_CHARACTERS if not 0xD800 <= ord(char) <= 0xDFFF]
HUGE_NUMBERS = [2**63, -(2**63) - 1, 10**30, 2**64 + 1, 1e308, -1e308, 0.1, -1]

# Enough to find each class quickly (a dozen per endpoint and actor, over about 200 endpoints, actors and lists: each
# class is tried hundreds of times a run), deterministic so the suite never flakes, and no example database on disk.
# No shrinking: a failure is reported as found, since shrinking a 50,000-deep document takes minutes.
PROPERTY_SETTINGS = settings(
    max_examples=12,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def odd_text(*, url_safe: bool = False) -> st.SearchStrategy[str]:
    """Ordinary text with odd characters spliced in; `url_safe` leaves out lone surrogates, which no URL encodes."""
    odd = URL_SAFE_ODD_CHARACTERS if url_safe else ODD_CHARACTERS
    plain = st.text(max_size=20)
    if url_safe:
        plain = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20)
    spliced = st.tuples(plain, st.sampled_from(odd), plain).map("".join)
    return st.one_of(spliced, plain, st.sampled_from(odd))


def huge_number() -> st.SearchStrategy[int | float]:
    return st.one_of(st.sampled_from(HUGE_NUMBERS), st.integers(min_value=2**62, max_value=10**40))


def nested(depth: int, leaf: Any = 1) -> Any:
    """A list `depth` levels deep, built without recursion (json.dumps still writes it at these depths)."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def odd_json_value() -> st.SearchStrategy[Any]:
    scalars = st.one_of(odd_text(), huge_number(), st.booleans(), st.none())
    deep = st.integers(min_value=33, max_value=300).map(nested)
    containers = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(odd_text(), inner, max_size=3),
        max_leaves=8,
    )
    return st.one_of(scalars, containers, deep)


def odd_body(field_names: list[str], nested: dict[str, list[str]] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object with odd values under the operation's own field names (so they reach its code) and odd keys;
    `nested` names the keys inside an object-valued field (a form's answers)."""
    values: dict[str, st.SearchStrategy[Any]] = dict.fromkeys(field_names, odd_json_value())
    for name, keys in (nested or {}).items():
        values[name] = st.fixed_dictionaries({}, optional=dict.fromkeys(keys, odd_json_value()))
    known = st.fixed_dictionaries({}, optional=values)
    extra = st.dictionaries(odd_text(), odd_json_value(), max_size=2)
    return st.tuples(known, extra).map(lambda parts: {**parts[1], **parts[0]})


# Fragments of raw JSON no database can store, or no parser should follow: each must be a 400 wherever it is put.
UNSTORABLE_FRAGMENTS = [
    '"\\u0000"',
    '"before\\u0000after"',
    '"\\ud800"',
    '"tail\\udfff"',
    '"\\ud800\\u0000"',
    "1e999",
    "-1e999",
    "[" * 1000 + "]" * 1000,
    "[" * 50_000 + "]" * 50_000,
    '{"a":' * 40 + "1" + "}" * 40,
]
HOSTILE_MARK = "\uf8ffhostile\uf8ff"


def body_with_one_unstorable_value(
    field_names: list[str], nested: dict[str, list[str]] | None = None
) -> st.SearchStrategy[str]:
    """Raw JSON text: an odd body with one value, at one of the operation's own fields, replaced by a fragment that
    must be refused (NUL, a lone surrogate, a non-finite number, nesting past the limit)."""
    places = [(name,) for name in field_names] + [(name, key) for name, keys in (nested or {}).items() for key in keys]

    def build(base: dict[str, Any], place: tuple[str, ...], fragment: str) -> str:
        target = base
        for step in place[:-1]:
            if not isinstance(target.get(step), dict):
                target[step] = {}
            target = target[step]
        target[place[-1]] = HOSTILE_MARK
        return json.dumps(base).replace(json.dumps(HOSTILE_MARK), fragment)

    return st.builds(
        build,
        odd_body(field_names, nested),
        st.sampled_from(places or [("field",)]),
        st.sampled_from(UNSTORABLE_FRAGMENTS),
    )


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def odd_cursor() -> st.SearchStrategy[str]:
    """Cursors DRF never gave out: a bare position, odd positions, offsets and directions, and not base64 at all."""
    position = st.one_of(odd_text(url_safe=True), st.sampled_from(["2024", "notadate", "9" * 30, "-1", "1e9", ""]))
    decoded = st.one_of(
        position.map(lambda value: f"p={value}"),
        st.tuples(position, st.sampled_from(["0", "1", "x", "99"])).map(lambda parts: f"p={parts[0]}&r={parts[1]}"),
        st.sampled_from(["o=99999999", "o=-5", "o=x", "r=2", "p=1&p=2", "&&&", "p"]),
    )
    return st.one_of(decoded.map(_b64), odd_text(url_safe=True), st.sampled_from(["cD0yMDI0", "====", "%%%"]))


def query_value() -> st.SearchStrategy[str]:
    return st.one_of(odd_text(url_safe=True), huge_number().map(str), odd_cursor())


def query_string(names: list[str]) -> st.SearchStrategy[dict[str, str]]:
    """Query parameters under the list's own names (and a few unknown ones), each with an odd value."""
    name = st.sampled_from(names) if names else st.nothing()
    return st.dictionaries(st.one_of(name, name, odd_text(url_safe=True)), query_value(), min_size=1, max_size=3)


# Everything a request could write: compared before and after a refused request, which must have written nothing.
WRITTEN_MODELS = (
    "tickets.Ticket",
    "tickets.Comment",
    "tickets.Attachment",
    "tickets.TicketEvent",
    "tickets.Tag",
    "forms_builder.Submission",
    "accounts.User",
    "accounts.ApiToken",
    "account.EmailAddress",
    "helpdesk.IdempotencyRecord",
)


@cache
def _row_counts_sql() -> str:
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM {connection.ops.quote_name(apps.get_model(name)._meta.db_table)})"  # noqa: S608
        for name in WRITTEN_MODELS
    )
    return f"SELECT {counts}"


def row_counts() -> dict[str, int]:
    """Each written table's row count, in one query: it runs around every request of the property tests."""
    with connection.cursor() as cursor:
        cursor.execute(_row_counts_sql())
        return dict(zip(WRITTEN_MODELS, cursor.fetchone(), strict=True))


def assert_refused_cleanly(response: HttpResponse, before: dict[str, int], *, api: bool) -> None:
    """A 4xx that wrote nothing and says why."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    assert_refused_cleanly_or_served(response, before, api=api)


def assert_refused_cleanly_or_served(response: HttpResponse, before: dict[str, int], *, api: bool) -> None:
    """Never a 5xx. A refusal (4xx) wrote nothing and says why: the error body for the API, a page otherwise."""
    assert response.status_code < 500, (response.status_code, response.content[:500])
    if 400 <= response.status_code < 500:
        assert row_counts() == before
        if api:
            body = response.json()
            assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]


def with_a_nul(values: st.SearchStrategy[dict[str, str]]) -> st.SearchStrategy[dict[str, str]]:
    """The same parameters with a NUL spliced into one value, which every door must refuse."""

    def splice(parameters: dict[str, str], which: int, at: int) -> dict[str, str]:
        name = sorted(parameters)[which % len(parameters)]
        value = parameters[name]
        return {**parameters, name: value[: at % (len(value) + 1)] + "\x00" + value[at % (len(value) + 1) :]}

    return st.builds(splice, values.filter(bool), st.integers(min_value=0), st.integers(min_value=0))
