"""Each field type's validation, from JSON answers and from HTML form data."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict

from forms_builder.engine import check_answers
from forms_builder.models import FieldType
from tests.forms_builder.examples import document, spec
from tickets.services.attachments import empty_file_message


def errors_for(field: dict[str, Any], value: Any) -> list[str]:
    return check_answers(document(field), {field["key"]: value}).errors.get(field["key"], [])


def cleaned(field: dict[str, Any], value: Any) -> Any:
    checked = check_answers(document(field), {field["key"]: value})
    assert checked.is_valid, checked.errors
    return checked.answers.get(field["key"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (spec("name", rules={"min_length": 3}), "ab"),
        (spec("name", rules={"max_length": 3}), "abcd"),
        (spec("name", rules={"pattern": "[A-Z]{2}-[0-9]+"}), "ab-12"),
        (spec("name"), 12),
        (spec("mail", FieldType.EMAIL), "not-an-address"),
        (spec("site", FieldType.URL), "javascript:alert(1)"),
        # Longer than the linear-time matcher is given (forms_builder/safe_regex.py): refused before matching.
        (spec("mail", FieldType.EMAIL), "a" * 1000 + "@example.com"),
        (spec("site", FieldType.URL), "https://example.com/" + "a" * 1000),
        (spec("count", FieldType.INTEGER), 2.5),
        (spec("count", FieldType.INTEGER), "3"),
        (spec("count", FieldType.INTEGER), True),
        (spec("count", FieldType.INTEGER, rules={"min_value": "1", "max_value": "5"}), 6),
        (spec("price", FieldType.DECIMAL, rules={"min_value": "0.5"}), 0.4),
        (spec("day", FieldType.DATE), "2023-02-29"),
        (spec("day", FieldType.DATE), "29/02/2024"),
        (spec("pick", FieldType.SELECT, choices=["a", "b"]), "c"),
        (spec("pick", FieldType.RADIO, choices=["a", "b"]), ["a"]),
        (spec("picks", FieldType.MULTISELECT, choices=["a", "b"]), ["a", "c"]),
        (spec("picks", FieldType.MULTISELECT, choices=["a", "b"]), ["a", "a"]),
        (spec("picks", FieldType.MULTISELECT, choices=["a", "b"], rules={"max_length": 1}), ["a", "b"]),
        (spec("agree", FieldType.CHECKBOX), "yes"),
    ],
)
def test_an_answer_breaking_its_type_or_rules_is_refused_with_a_sentence(field, value):
    messages = errors_for(field, value)

    assert messages
    assert all(message.endswith(".") for message in messages)


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        (spec("name", rules={"pattern": "[A-Z]{2}-[0-9]+"}), "AB-12", "AB-12"),
        (spec("mail", FieldType.EMAIL), "ann@example.com", "ann@example.com"),
        (spec("site", FieldType.URL), "https://example.com/a?b", "https://example.com/a?b"),
        (spec("count", FieldType.INTEGER, rules={"min_value": "1", "max_value": "5"}), 5.0, 5),
        (spec("price", FieldType.DECIMAL), 0.1, "0.1"),
        (spec("price", FieldType.DECIMAL), 12, "12"),
        (spec("day", FieldType.DATE), "2024-02-29", "2024-02-29"),
        (spec("picks", FieldType.MULTISELECT, choices=["a", "b"]), ["b", "a"], ["a", "b"]),
        (spec("agree", FieldType.CHECKBOX), True, True),
    ],
)
def test_a_valid_answer_is_stored_in_its_json_shape(field, value, stored):
    assert cleaned(field, value) == stored


def test_form_data_is_read_as_text_and_lists():
    definition = document(
        spec("count", FieldType.INTEGER),
        spec("picks", FieldType.MULTISELECT, choices=["a", "b"]),
        spec("agree", FieldType.CHECKBOX),
        spec("name"),
    )
    data = QueryDict("count=+7&picks=a&picks=b&agree=on&name=%20Ann%20")

    checked = check_answers(definition, data)

    assert checked.answers == {"count": 7, "picks": ["a", "b"], "agree": True, "name": "Ann"}


def test_an_empty_optional_answer_is_omitted():
    definition = document(spec("name"), spec("agree", FieldType.CHECKBOX), spec("picks", FieldType.MULTISELECT))

    checked = check_answers(definition, {"name": "   ", "agree": False, "picks": []})

    assert checked.is_valid
    assert checked.answers == {}


def upload(name: str, content: bytes = b"data") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


FILE = spec("shot", FieldType.FILE, required=True, rules={"max_file_size": 10, "allowed_extensions": ["png"]})


def test_a_required_file_field_is_not_satisfied_by_an_empty_upload_list():
    checked = check_answers(document(FILE), {}, {"shot": []})

    assert checked.errors == {"shot": ["Upload a file."]}


def test_each_file_is_checked_for_its_extension_and_size():
    checked = check_answers(
        document(FILE), {}, {"shot": [upload("a.PNG"), upload("b.exe"), upload("c.png", b"x" * 11)]}
    )

    assert len(checked.errors["shot"]) == 2
    assert "b.exe" in checked.errors["shot"][0]
    assert "c.png" in checked.errors["shot"][1]


def test_accepted_files_are_returned_apart_from_the_answers():
    checked = check_answers(document(FILE), {"shot": "ignored"}, {"shot": [upload("a.PNG")]})

    assert checked.is_valid
    assert [f.name for f in checked.files["shot"]] == ["a.PNG"]
    assert "shot" not in checked.answers


def test_a_files_message_names_it_as_the_ticket_would_show_it():
    """The name cleaned as tickets.services.attachments cleans it: no directory part, no control characters."""
    empty, wrong_type = upload("C:\\fakepath\\shot.png", b""), upload("C:\\fakepath\\tool\x07.exe")

    checked = check_answers(document(FILE), {}, {"shot": [empty, wrong_type]})

    assert checked.errors == {
        "shot": [empty_file_message("C:\\fakepath\\shot.png"), "“tool.exe” is not an allowed type; upload png."]
    }
    assert checked.errors["shot"][0] == "“shot.png” is empty."


def test_an_api_answers_line_breaks_are_counted_as_sent():
    """JSON text is kept exactly as given, and its JSON Schema `maxLength` counts "\\r\\n" as two characters too."""
    field = spec("details", FieldType.TEXTAREA, rules={"max_length": 3})

    assert errors_for(field, "a\r\nb") == ["Enter at most 3 characters."]
    assert cleaned(field, "a\nb") == "a\nb"
