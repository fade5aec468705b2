"""The API's text fields: a string field takes a JSON string, and nothing else.

DRF's CharField (and the email, URL, slug and regex fields built on it) turns a JSON number into its digits, so
`{"subject": 123}` made a ticket titled "123" and `{"name": 1e3}` a view named "1000.0": a client that sent the wrong
field, or a number it meant as one, was never told. Here any value but a string is a 400 naming the field. Form and
multipart bodies are all text, so they are unaffected.

Every serializer takes its text fields from here: declared ones as `api_fields.CharField(...)`, and those a model
serializer builds from the model through `ModelSerializer`'s field mapping. tests/helpdesk/test_api_text_fields.py
checks that no writable text field of any serializer is DRF's own.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

NOT_TEXT_MESSAGE = "Not a valid string: give text in quotes, not a number or another JSON value."


class TextOnly(serializers.Field):
    """Refuses a value that is not a string before the field reads it."""

    default_error_messages = {"not_text": NOT_TEXT_MESSAGE}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class CharField(TextOnly, serializers.CharField):
    pass


class EmailField(TextOnly, serializers.EmailField):
    pass


class URLField(TextOnly, serializers.URLField):
    pass


class SlugField(TextOnly, serializers.SlugField):
    pass


class RegexField(TextOnly, serializers.RegexField):
    pass


class IPAddressField(TextOnly, serializers.IPAddressField):
    pass


# DRF's, building the model's text fields from this module's. A comment, not a docstring: drf-spectacular would take a
# docstring as the description of every serializer built on it.
class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: CharField,
        models.TextField: CharField,
        models.EmailField: EmailField,
        models.URLField: URLField,
        models.SlugField: SlugField,
        models.GenericIPAddressField: IPAddressField,
    }
