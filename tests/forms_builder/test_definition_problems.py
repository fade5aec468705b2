"""A definition that could not be applied is refused before publishing, with the reason under the field's key."""

from __future__ import annotations

from pathlib import Path

import pytest

from forms_builder.definitions import RESERVED_KEYS, definition_problems
from forms_builder.models import FieldType
from tests.forms_builder.examples import bug_report, document, spec, when


def test_the_bug_report_example_is_publishable():
    assert definition_problems(bug_report()) == {}


def test_a_condition_on_a_later_field_is_refused():
    definition = document(spec("first", visible_when=when(("second", "equals", "x"))), spec("second"))

    assert "placed before" in definition_problems(definition)["first"][0]


def test_a_condition_on_the_field_itself_is_refused():
    definition = document(spec("only", visible_when=when(("only", "is_empty", None))))

    assert "itself" in definition_problems(definition)["only"][0]


def test_a_condition_on_an_unknown_field_is_refused():
    definition = document(spec("a", required_when=when(("ghost", "equals", "x"))))

    assert "not a field" in definition_problems(definition)["a"][0]


def test_an_operator_that_makes_no_sense_for_the_source_type_is_refused():
    definition = document(spec("agree", FieldType.CHECKBOX), spec("b", visible_when=when(("agree", "gt", "1"))))

    assert definition_problems(definition) == {"b": ["“gt” cannot be used with Agree (checkbox)."]}


def test_a_condition_value_that_is_not_one_of_the_choices_is_refused():
    definition = bug_report()
    definition["fields"][1]["visible_when"]["conditions"][0]["value"] = "mobile"

    assert "not one of the choices" in definition_problems(definition)["version"][0]


def test_a_regular_expression_that_does_not_compile_is_refused():
    definition = document(spec("code", rules={"pattern": "([A-Z]+"}))

    assert "does not compile" in definition_problems(definition)["code"][0]


def test_an_unknown_subject_template_key_is_refused():
    definition = document(spec("summary"), subject="{product}: {summary}")

    assert definition_problems(definition) == {
        "": ["The subject template uses “{product}”, which is not a field of this form."]
    }


def test_duplicate_keys_and_reversed_limits_are_refused():
    definition = document(spec("a", rules={"min_length": 5, "max_length": 2}), spec("a"))

    assert definition_problems(definition)["a"] == [
        "The minimum length is larger than the maximum length.",
        "Another field already uses the key “a”.",
    ]


@pytest.mark.parametrize("key", ["answers", "requester", "non_field_errors", "form", "files", "category", "team"])
def test_a_key_the_submission_api_uses_itself_is_refused(key):
    """Its answer's problems would share `details` with the submission's own under the same name: the API body's,
    the form's (closed, unpublished) and those opening the ticket may name (files, requester, category, team)."""
    definition = document(spec(key))

    assert definition_problems(definition)[key] == [
        f"“{key}” is a name the submission API uses itself; choose another key."
    ]


def test_the_readme_names_every_reserved_key_and_where_a_published_ones_problems_go():
    """The admin's field list and the API's endpoint table each say which keys are refused."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    sentences = [line for line in readme.splitlines() if "`non_field_errors`" in line]

    assert len(sentences) == 2
    for line in sentences:
        assert {key for key in RESERVED_KEYS if f"`{key}`" not in line} == set(), line
        assert "`answers.<key>`" in line, line
