"""Admin regexes cannot hang a request: unsafe constructs are refused, the rest match in linear time."""

from __future__ import annotations

import re

import pytest

from forms_builder.definitions import definition_problems
from forms_builder.engine import check_answers
from forms_builder.safe_regex import MAX_MATCH_LENGTH, compile_safe, pattern_problem
from tests.forms_builder.examples import document, spec


def test_a_catastrophic_pattern_against_a_hostile_answer_returns():
    # Exponential for a backtracking engine; the state-set simulation visits each (position, state) once.
    definition = document(spec("code", rules={"pattern": "(a+)+$"}))

    checked = check_answers(definition, {"code": "a" * 50 + "!"})

    assert checked.errors == {"code": ["This answer is not in the expected format."]}


@pytest.mark.parametrize("pattern", ["(a|aa)*b", "(a*)*b", "(a+a+)+y", "(\\w+\\s?)*$", "a*a*a*a*a*a*a*a*b"])
def test_other_classic_redos_patterns_return_on_the_longest_allowed_answer(pattern):
    assert compile_safe(pattern).fullmatch("a" * (MAX_MATCH_LENGTH - 1) + "!") is False


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)a", r"(?<!b)a", r"(?>a+)", r"a++", r"(?i)abc", r"(a)?(?(1)b|c)"])
def test_constructs_that_need_backtracking_are_refused_at_save_time(pattern):
    definition = document(spec("code", rules={"pattern": pattern}))

    assert "cannot be checked safely" in definition_problems(definition)["code"][0]


def test_a_pattern_longer_than_the_cap_is_refused():
    assert "longer than 200" in pattern_problem("a" * 201)


def test_an_answer_longer_than_the_matching_cap_is_refused_before_matching():
    definition = document(spec("code", rules={"pattern": "a*"}))

    checked = check_answers(definition, {"code": "a" * (MAX_MATCH_LENGTH + 1)})

    assert checked.errors == {"code": [f"Enter at most {MAX_MATCH_LENGTH} characters."]}


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"[A-Z]{2}-\d{3,5}", "AB-1234"),
        (r"[A-Z]{2}-\d{3,5}", "AB-12"),
        (r"\bv\d+(\.\d+)*", "v1.2.3"),
        (r"(?s)a.b", "a\nb"),
        (r"a.b", "a\nb"),
        (r"[^\s@]+@[^\s@]+", "a@b"),
        (r"abc$", "abc\n"),
        (r"(?x) a b  c", "abc"),
    ],
)
def test_safe_patterns_mean_what_they_mean_to_re_fullmatch(pattern, text):
    assert compile_safe(pattern).fullmatch(text) is bool(re.fullmatch(pattern, text))
