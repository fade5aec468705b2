"""The published JSON Schema and the engine agree on every JSON answer set (files aside: they are multipart)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from forms_builder.engine import check_answers
from forms_builder.json_schema import version_json_schema
from forms_builder.models import FieldType
from tests.forms_builder.examples import bug_report, document, spec, when

# Plain ASCII with spaces and a newline: enough to hit blank, whitespace-only and pattern edge cases.
TEXT = st.text(alphabet="ab AZ09-.@:/\n", max_size=12)
ANY_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=2000),
    st.floats(min_value=-5, max_value=2000, allow_nan=False),
    TEXT,
    st.lists(st.sampled_from(["desktop", "web", "firefox", "chrome", "safari", "x"]), max_size=4),
)


def chained() -> dict[str, Any]:
    """A chain: `detail` depends on `reason`, which is shown only for a low rating; plus every operator."""
    return document(
        spec("rating", FieldType.INTEGER, required=True, rules={"min_value": "1", "max_value": "5"}),
        spec("reason", FieldType.SELECT, choices=["price", "speed"], visible_when=when(("rating", "lt", "3"))),
        spec(
            "detail",
            FieldType.TEXT,
            visible_when=when(("reason", "not_equals", "price")),
            required_when=when(("reason", "in", ["speed"])),
            rules={"pattern": "[a-z ]+", "max_length": 8},
        ),
        spec("amount", FieldType.DECIMAL, rules={"min_value": "0.5", "max_value": "99.5"}),
        spec("tags", FieldType.MULTISELECT, choices=["desktop", "web"], rules={"max_length": 1}),
        spec("over", FieldType.TEXT, required=True, visible_when=when(("amount", "gt", "10"))),
        spec("under", FieldType.TEXT, required=True, visible_when=when(("amount", "lt", "10"))),
        spec(
            "note",
            FieldType.TEXT,
            visible_when=when(("tags", "contains", "web"), ("detail", "is_not_empty", None), match="any"),
            required_when=when(("tags", "equals", "desktop")),
        ),
        spec("agree", FieldType.CHECKBOX),
        spec("when", FieldType.DATE, visible_when=when(("agree", "equals", "true")), required=True),
        spec("email", FieldType.EMAIL, required=True, visible_when=when(("when", "gt", "2024-02-28"))),
        spec("phone", FieldType.TEXT, required=True, visible_when=when(("when", "lt", "2024-03-01"))),
        spec("site", FieldType.URL, visible_when=when(("tags", "not_in", ["desktop"]), ("email", "is_empty", None))),
    )


def plausible(field: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Mostly-valid values for one field, near its rules' edges."""
    values = [choice["value"] for choice in field["choices"]]
    by_type = {
        FieldType.TEXT: TEXT,
        FieldType.TEXTAREA: TEXT,
        FieldType.INTEGER: st.integers(min_value=-1, max_value=1002),
        FieldType.DECIMAL: st.sampled_from([0.5, 0.4, 10, 10.0, 10.5, 99.5, 100, "1"]),
        FieldType.DATE: st.sampled_from(["2024-02-29", "2023-02-29", "2024-03-01", "2024-1-01", " ", "2024-02-28"]),
        FieldType.CHECKBOX: st.sampled_from([True, False, "true", None, 1]),
        FieldType.EMAIL: st.sampled_from(["a@b.co", "a@b", "a b@c.d", "x@y.z\n"]),
        FieldType.URL: st.sampled_from(["https://a.b/c", "ftp://a", "http://", "http://a b"]),
        FieldType.SELECT: st.sampled_from([*values, "", "other"]),
        FieldType.MULTISELECT: st.lists(st.sampled_from(values), max_size=len(values) + 1),
    }
    return by_type[field["type"]]


def valid(field: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values within the field's type and rules (conditions aside)."""
    rules = field["rules"]
    values = [choice["value"] for choice in field["choices"]]
    low = rules["min_value"]
    high = rules["max_value"]
    by_type = {
        FieldType.TEXT: st.text(alphabet="a z", min_size=1, max_size=rules["max_length"] or 8),
        FieldType.TEXTAREA: st.text(alphabet="ab z", min_size=rules["min_length"] or 0, max_size=12),
        FieldType.INTEGER: st.integers(min_value=int(float(low or -10)), max_value=int(float(high or 10))),
        FieldType.DECIMAL: st.floats(min_value=float(low or -10), max_value=float(high or 10)),
        FieldType.DATE: st.dates(dt.date(2024, 2, 27), dt.date(2024, 3, 2)).map(lambda day: day.isoformat()),
        FieldType.CHECKBOX: st.booleans(),
        FieldType.EMAIL: st.sampled_from(["a@b.co", "ann@example.com"]),
        FieldType.URL: st.sampled_from(["https://a.b/c", "http://example.com"]),
        FieldType.SELECT: st.sampled_from(values),
        FieldType.MULTISELECT: st.lists(st.sampled_from(values), unique=True, max_size=rules["max_length"] or 3),
    }
    return by_type[field["type"]]


MISSING = object()


def answers_for(definition: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Answer sets of mostly valid values; some near the rules' edges, some arbitrary JSON, some keys left out."""

    def one_value(field: dict[str, Any]) -> st.SearchStrategy[Any]:
        weighted = [*[valid(field)] * 7, plausible(field), ANY_JSON, st.just(MISSING)]
        return st.sampled_from(weighted).flatmap(lambda strategy: strategy)

    fields = {field["key"]: one_value(field) for field in definition["fields"]}
    return st.fixed_dictionaries(fields).map(
        lambda answers: {key: value for key, value in answers.items() if value is not MISSING}
    )


def validator_for(definition: dict[str, Any]) -> jsonschema.Draft202012Validator:
    schema = version_json_schema(definition)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


BUG_REPORT = bug_report()
CHAINED = chained()
VALIDATORS = {"bug_report": validator_for(BUG_REPORT), "chained": validator_for(CHAINED)}


def assert_agree(definition: dict[str, Any], answers: dict[str, Any], validator: Any = None) -> None:
    validator = validator or validator_for(definition)
    checked = check_answers(definition, answers)
    assert checked.is_valid == validator.is_valid(answers), (answers, checked.errors)


def test_the_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(version_json_schema(bug_report()))
    jsonschema.Draft202012Validator.check_schema(version_json_schema(chained()))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(answers=answers_for(BUG_REPORT))
def test_the_bug_report_schema_agrees_with_the_engine(answers):
    assert_agree(BUG_REPORT, answers, VALIDATORS["bug_report"])


@settings(max_examples=250, deadline=None, derandomize=True)
@given(answers=answers_for(CHAINED))
def test_a_schema_with_chained_conditions_agrees_with_the_engine(answers):
    assert_agree(CHAINED, answers, VALIDATORS["chained"])


def test_a_valid_desktop_bug_report_passes_both():
    answers = {"product": "desktop", "version": "1.2", "summary": "It crashes", "browsers": ["chrome"]}

    assert_agree(bug_report(), answers)
    assert check_answers(bug_report(), answers).is_valid


def test_a_web_bug_report_with_a_stray_version_passes_both():
    answers = {"product": "web", "version": ["not", "text"], "summary": "Slow"}

    assert_agree(bug_report(), answers)
    assert check_answers(bug_report(), answers).is_valid


def boundaries() -> dict[str, Any]:
    """Required fields whose visibility flips exactly at each operator's edge, including through a chain."""
    return document(
        spec("amount", FieldType.DECIMAL),
        spec("day", FieldType.DATE),
        spec("size", FieldType.MULTISELECT, choices=["s", "m"]),
        spec("over", required=True, visible_when=when(("amount", "gt", "10"))),
        spec("under", required=True, visible_when=when(("amount", "lt", "10"), ("day", "gt", "2024-02-28"))),
        spec("exact", required=True, visible_when=when(("size", "equals", "s,m"), ("day", "lt", "2024-03-01"))),
        spec(
            "either", required=True, visible_when=when(("size", "in", ["m"]), ("over", "is_empty", None), match="any")
        ),
        spec("after", required=True, visible_when=when(("under", "not_equals", "x"), ("exact", "not_in", ["x"]))),
    )


def test_visibility_edges_agree_with_the_engine_for_every_combination():
    amounts = [None, 9.5, 10, 10.5]
    days = [None, "2024-02-28", "2024-02-29", "2024-03-01"]
    sizes = [None, ["s"], ["m"], ["m", "s"]]
    dependents = ("over", "under", "exact", "either", "after")
    definition = boundaries()
    validator = validator_for(definition)
    presence = list(itertools.product([False, True], repeat=len(dependents)))
    for amount, day, size, present in itertools.product(amounts, days, sizes, presence):
        answers = {"amount": amount, "day": day, "size": size}
        answers.update({key: "x" for key, answered in zip(dependents, present, strict=True) if answered})
        assert_agree(definition, answers, validator)
