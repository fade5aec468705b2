"""A JSON number (or any other non-string) where the API expects text is a 400 naming the field, not stored as text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rest_framework import serializers

from helpdesk import api as every_endpoint  # noqa: F401  (imports every serializer the API uses)
from helpdesk.api_fields import TextOnly
from macros.models import Macro
from queues.models import SavedView
from tests.support.api import assert_error_body
from tickets.models import Ticket


@pytest.mark.parametrize("subject", [123, 1.5])
def test_a_ticket_subject_that_is_not_a_string_is_refused(api_client_for, alice, subject):
    response = api_client_for(alice).post("/api/v1/tickets/", {"subject": subject}, format="json")
    error = assert_error_body(response, 400, "invalid")
    assert list(error["details"]) == ["subject"]
    assert not Ticket.objects.exists()


def test_a_number_in_a_field_the_model_serializer_builds_is_refused(api_client_for, bob):
    response = api_client_for(bob).post("/api/v1/macros/", {"name": 42, "body": "Thanks!"}, format="json")
    error = assert_error_body(response, 400, "invalid")
    assert list(error["details"]) == ["name"]
    assert not Macro.objects.exists()


def test_a_number_among_a_views_conditions_is_refused(api_client_for, bob):
    body = {"name": "Mine", "conditions": {"status": "open", "tag": 7}}
    response = api_client_for(bob).post("/api/v1/views/", body, format="json")
    error = assert_error_body(response, 400, "invalid")
    assert "conditions" in error["details"]
    assert not SavedView.objects.exists()


def test_text_in_a_form_body_is_still_taken(api_client_for, alice):
    response = api_client_for(alice).post("/api/v1/tickets/", {"subject": "123"})
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().subject == "123"


def _subclasses(cls: type) -> Iterator[type]:
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _writable_fields(field: serializers.Field, where: str) -> Iterator[tuple[str, serializers.Field]]:
    if getattr(field, "read_only", False):
        return
    yield where, field
    if isinstance(field, serializers.ListSerializer):
        yield from _writable_fields(field.child, where)
    elif isinstance(field, serializers.Serializer):
        for name, child in field.fields.items():
            yield from _writable_fields(child, f"{where}.{name}")
    elif isinstance(field, serializers.ListField | serializers.DictField):
        yield from _writable_fields(field.child, f"{where}[]")


def test_no_serializer_has_a_writable_text_field_that_turns_numbers_into_text():
    project_serializers = [
        cls
        for cls in _subclasses(serializers.Serializer)
        if cls.__module__.split(".")[0] not in ("rest_framework", "drf_spectacular")
        and cls.__module__ != "helpdesk.api_fields"
    ]
    assert len(project_serializers) > 40  # every app's serializers were found
    lenient = [
        where
        for cls in project_serializers
        for where, field in _writable_fields(cls(), cls.__qualname__)
        if isinstance(field, serializers.CharField) and not isinstance(field, TextOnly)
    ]
    assert lenient == []
