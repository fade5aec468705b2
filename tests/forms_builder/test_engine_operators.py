"""Each condition operator, seen through whether the field it controls is shown."""

from __future__ import annotations

from typing import Any

import pytest

from forms_builder.engine import visible_keys
from forms_builder.models import FieldType
from tests.forms_builder.examples import document, spec, when


def shown(source: dict[str, Any], operator: str, value: Any, answer: Any) -> bool:
    definition = document(source, spec("target", visible_when=when((source["key"], operator, value))))
    answers = {} if answer is None else {source["key"]: answer}
    return "target" in visible_keys(definition, answers)


TEXT = spec("source")
NUMBER = spec("source", FieldType.DECIMAL)
DATE = spec("source", FieldType.DATE)
MULTI = spec("source", FieldType.MULTISELECT, choices=["a", "b", "c"])
CHECKBOX = spec("source", FieldType.CHECKBOX)


@pytest.mark.parametrize(
    ("source", "operator", "value", "answer", "expected"),
    [
        (TEXT, "equals", "yes", "yes", True),
        (TEXT, "equals", "yes", "Yes", False),
        (TEXT, "not_equals", "yes", "no", True),
        (TEXT, "not_equals", "yes", None, True),
        (TEXT, "in", ["a", "b"], "b", True),
        (TEXT, "in", ["a", "b"], "c", False),
        (TEXT, "not_in", ["a", "b"], "c", True),
        (TEXT, "not_in", ["a", "b"], "a", False),
        (TEXT, "contains", "rash", "it crashes", True),
        (TEXT, "contains", "rash", "fine", False),
        (TEXT, "is_empty", None, "  ", True),
        (TEXT, "is_empty", None, "x", False),
        (TEXT, "is_not_empty", None, "x", True),
        (TEXT, "is_not_empty", None, None, False),
        (NUMBER, "equals", "2.50", 2.5, True),
        (NUMBER, "gt", "10", 10.5, True),
        (NUMBER, "gt", "10", 10, False),
        (NUMBER, "lt", "10", 9.99, True),
        (NUMBER, "lt", "10", 10, False),
        (NUMBER, "gt", "10", None, False),
        (DATE, "gt", "2024-02-28", "2024-02-29", True),
        (DATE, "lt", "2024-02-28", "2024-02-29", False),
        (DATE, "equals", "2024-02-29", "2024-02-29", True),
        (MULTI, "equals", "b, a", ["a", "b"], True),
        (MULTI, "equals", "a", ["a", "b"], False),
        (MULTI, "contains", "b", ["a", "b"], True),
        (MULTI, "contains", "c", ["a", "b"], False),
        (MULTI, "in", ["c", "b"], ["a", "b"], True),
        (MULTI, "not_in", ["c"], ["a", "b"], True),
        (MULTI, "is_empty", None, [], True),
        (CHECKBOX, "equals", "true", True, True),
        (CHECKBOX, "equals", "false", None, True),
        (CHECKBOX, "not_equals", "true", False, True),
    ],
)
def test_each_operator_shows_the_field_only_when_it_holds(source, operator, value, answer, expected):
    assert shown(source, operator, value, answer) is expected


def test_a_condition_on_an_invalid_answer_counts_as_false():
    assert shown(NUMBER, "gt", "1", "not a number") is False
    assert shown(NUMBER, "not_equals", "1", "not a number") is False
