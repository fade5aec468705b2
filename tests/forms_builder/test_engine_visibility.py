"""Hidden fields are neither validated nor kept; required applies only while shown; required_when; chains."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from forms_builder.engine import check_answers, visible_keys
from forms_builder.models import FieldType
from tests.forms_builder.examples import bug_report, document, spec, when


def test_a_hidden_fields_answer_is_dropped_and_not_validated():
    checked = check_answers(bug_report(), {"product": "web", "version": ["not", "text"], "summary": "Slow page"})

    assert checked.is_valid
    assert "version" not in checked.answers


def test_a_required_field_is_required_only_while_it_is_shown():
    definition = document(
        spec("kind", FieldType.SELECT, choices=["a", "b"]),
        spec("detail", required=True, visible_when=when(("kind", "equals", "a"))),
    )

    assert check_answers(definition, {"kind": "b"}).is_valid
    assert check_answers(definition, {"kind": "a"}).errors == {"detail": ["This field is required."]}


def test_required_when_makes_a_shown_field_required():
    assert check_answers(bug_report(), {"product": "desktop", "summary": "Crash"}).errors == {
        "version": ["This field is required."]
    }
    assert check_answers(bug_report(), {"product": "desktop", "version": "2.1", "summary": "Crash"}).is_valid


def test_a_field_depending_on_a_hidden_field_sees_it_as_empty():
    definition = document(
        spec("kind", FieldType.SELECT, choices=["a", "b"]),
        spec("reason", visible_when=when(("kind", "equals", "a"))),
        spec("detail", visible_when=when(("reason", "equals", "price"))),
        spec("other", visible_when=when(("reason", "is_empty", None))),
    )

    keys = visible_keys(definition, {"kind": "b", "reason": "price"})

    assert keys == ["kind", "other"]


def test_any_match_shows_the_field_when_one_condition_holds():
    definition = document(
        spec("a"),
        spec("b"),
        spec("either", visible_when=when(("a", "equals", "x"), ("b", "equals", "x"), match="any")),
    )

    assert "either" in visible_keys(definition, {"b": "x"})
    assert "either" not in visible_keys(definition, {"a": "y", "b": "y"})


def test_a_hidden_file_fields_uploads_are_dropped():
    definition = document(
        spec("attach", FieldType.CHECKBOX),
        spec("shot", FieldType.FILE, visible_when=when(("attach", "equals", "true"))),
    )

    checked = check_answers(definition, {}, {"shot": [SimpleUploadedFile("a.png", b"x")]})

    assert checked.is_valid
    assert checked.files == {}
