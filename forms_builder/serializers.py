"""Shape intake forms for the API: the list, the published version document, and a submission's input.

The version document (forms_builder/definitions.py) goes out through these serializers, so the API answers with
exactly the shape its schema documents.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ParseError

from accounts.models import User
from forms_builder.models import FieldType, Form, Match, Operator
from helpdesk import api_fields
from helpdesk.input_checks import parse_json
from tickets.models import Priority
from tickets.serializers import PriorityField


class FormSerializer(api_fields.ModelSerializer):
    default_priority = PriorityField(read_only=True, help_text="The priority of the tickets this form opens.")
    public = serializers.BooleanField(
        source="is_public", read_only=True, help_text="Whether it may also be filled in without signing in."
    )
    version = serializers.IntegerField(
        source="latest_version", read_only=True, help_text="The number of the published version submissions use."
    )

    class Meta:
        model = Form
        fields = ["slug", "name", "description", "category", "default_priority", "public", "version"]
        read_only_fields = fields


# --- The published version document ----------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        "nullable": True,
        "description": "A string; a list of strings for `in` and `not_in`; null for `is_empty` and `is_not_empty`.",
    }
)
class ConditionValueField(serializers.JSONField):
    pass


class ConditionSerializer(serializers.Serializer):
    field = api_fields.CharField(read_only=True, help_text="The key of an earlier field whose answer is tested.")
    operator = serializers.ChoiceField(choices=Operator.choices, read_only=True)
    value = ConditionValueField(read_only=True)


class ConditionGroupSerializer(serializers.Serializer):
    match = serializers.ChoiceField(
        choices=Match.choices, read_only=True, help_text="`all`: every condition must hold; `any`: one is enough."
    )
    conditions = ConditionSerializer(many=True, read_only=True)


class FieldRulesSerializer(serializers.Serializer):
    min_length = serializers.IntegerField(read_only=True, allow_null=True)
    max_length = serializers.IntegerField(read_only=True, allow_null=True)
    pattern = api_fields.CharField(read_only=True, help_text="A regular expression the whole answer must match.")
    min_value = api_fields.CharField(read_only=True, allow_null=True, help_text="A decimal, as a string.")
    max_value = api_fields.CharField(read_only=True, allow_null=True, help_text="A decimal, as a string.")
    max_file_size = serializers.IntegerField(read_only=True, allow_null=True, help_text="In bytes.")
    allowed_extensions = serializers.ListField(
        child=api_fields.CharField(), read_only=True, help_text="Lower case, without the dot; empty: any."
    )


class ChoiceSerializer(serializers.Serializer):
    value = api_fields.CharField(read_only=True, help_text="What to send as the answer.")
    label = api_fields.CharField(read_only=True, help_text="What people are shown.")


class FieldDefinitionSerializer(serializers.Serializer):
    key = api_fields.CharField(read_only=True, help_text="The answer's key in `answers`.")
    label = api_fields.CharField(read_only=True)
    help_text = api_fields.CharField(read_only=True)
    type = serializers.ChoiceField(
        choices=FieldType.choices,
        read_only=True,
        help_text="What kind of answer it takes; the form's JSON Schema gives each answer's exact JSON type. A "
        "`file` field's answer is its uploads, sent as multipart parts named after its key.",
    )
    required = serializers.BooleanField(read_only=True, help_text="Applies only while the field is shown.")
    rules = FieldRulesSerializer(read_only=True)
    choices = ChoiceSerializer(many=True, read_only=True, help_text="For `select`, `multiselect` and `radio`.")
    visible_when = ConditionGroupSerializer(
        read_only=True,
        allow_null=True,
        help_text="Shown only when these hold; null: always shown. A hidden field's answer is ignored.",
    )
    required_when = ConditionGroupSerializer(
        read_only=True, allow_null=True, help_text="Required (while shown) when these hold; null: see `required`."
    )


class PriorityNameField(serializers.ChoiceField):
    """The version document already speaks priorities by name."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[p.label for p in Priority], **kwargs)


class FormHeaderSerializer(serializers.Serializer):
    slug = api_fields.CharField(read_only=True)
    name = api_fields.CharField(read_only=True)
    description = api_fields.CharField(read_only=True)
    category = serializers.IntegerField(read_only=True, help_text="The id of the category tickets land in.")
    default_priority = PriorityNameField(read_only=True)
    subject_template = api_fields.CharField(
        read_only=True, help_text='How the ticket subject is made from the answers: "{product}: {summary}".'
    )
    description_field = api_fields.CharField(
        read_only=True, help_text="The key of the field whose answer becomes the ticket description; may be empty."
    )
    public = serializers.BooleanField(read_only=True)


class FormVersionSerializer(serializers.Serializer):
    """A published version: `{"version", "published_at", "form", "fields"}`; later edits never change it."""

    version = serializers.IntegerField(source="number", read_only=True)
    published_at = serializers.DateTimeField(read_only=True)
    form = FormHeaderSerializer(source="definition.form", read_only=True)
    fields = FieldDefinitionSerializer(source="definition.fields", many=True, read_only=True, help_text="In order.")


# --- Submitting -------------------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "Answers keyed by field key, with the JSON types the version's field types name. Answers "
        "to hidden fields are ignored and not stored.",
    }
)
class AnswersField(serializers.JSONField):
    """A JSON object: as itself in a JSON body, as a JSON string in a multipart one."""

    default_error_messages = {"not_an_object": "Send an object of answers keyed by field key."}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if getattr(data, "is_json_string", False):  # a form field: read like any JSON body (depth, characters)
            try:
                data = parse_json(data)
            except ParseError as error:
                raise serializers.ValidationError(str(error.detail)) from error
        answers = super().to_internal_value(data)
        if not isinstance(answers, dict):
            self.fail("not_an_object")
        return answers


class SubmissionCreateSerializer(serializers.Serializer):
    answers = AnswersField()
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="Agents and admins only: the user id to submit for. A requester sending it is refused with 403.",
    )
