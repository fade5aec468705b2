"""REST API v1 for intake forms: list them, read the published version or its JSON Schema, and submit one.

Thin: `forms_usable_by` decides which forms a caller reaches (anything else is 404), `submission_create` checks
the answers with the one engine and opens the ticket.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from forms_builder import selectors, services
from forms_builder.json_schema import version_json_schema
from forms_builder.models import Form, FormVersion
from forms_builder.serializers import FormSerializer, FormVersionSerializer, SubmissionCreateSerializer
from helpdesk.idempotency import idempotent
from helpdesk.openapi import BODY_ERRORS, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, errors
from helpdesk.pagination import ByPosition
from helpdesk.viewsets import StrictQueryString
from tickets.api import refuse_staff_only_fields
from tickets.selectors import ticket_list_for
from tickets.serializers import TicketDetailSerializer

SLUG_PATTERN = r"[-a-zA-Z0-9_]+"
JSON = "application/json"

FORM_SLUG = OpenApiParameter(
    name="slug",
    type={"type": "string", "pattern": f"^{SLUG_PATTERN}$"},
    location=OpenApiParameter.PATH,
    description="The form's slug, as in the list. Inactive and never-published forms are 404.",
)


class JSONSchemaRenderer(JSONRenderer):
    """`Accept: application/schema+json` gets the JSON Schema under its own media type."""

    media_type = "application/schema+json"


# Multipart cannot nest an object, so `answers` travels as a JSON string and each file field's uploads as parts
# named after the field's key.
SUBMISSION_MULTIPART_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answers": {
            "type": "string",
            "description": 'The answers object as a JSON string, such as `{"product": "web"}`; file fields are '
            "not in it.",
        },
        "requester": {
            "type": "integer",
            "description": "Agents and admins only: the user id to submit for. A requester sending it is refused "
            "with 403.",
        },
    },
    "required": ["answers"],
    "additionalProperties": {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "description": "A file field's uploads, as parts named after the field's key.",
    },
}

JSON_SCHEMA_DOCUMENT = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="A JSON Schema (draft 2020-12) of the `answers` object: conditions as `if`/`then`. File fields are "
    "not in it (they are sent as multipart parts). `application/json` unless you ask for `application/schema+json`.",
)


def json_errors(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """Errors for an operation that also renders another media type: errors are always JSON."""
    return {(code, JSON): response for code, response in errors(*statuses).items()}


@extend_schema_view(
    list=extend_schema(
        summary="List the forms you may use",
        description="Active forms with a published version, in the order the admins set. Every signed-in user may "
        "use every one; `public` says whether it may also be filled in without signing in.",
        responses={200: FormSerializer, **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="Read a form's published version",
        description="The version submissions are checked against: fields in order, their rules, choices and "
        "conditions. Edits an admin has not published yet are not in it.",
        parameters=[FORM_SLUG],
        responses={200: FormVersionSerializer, **errors(400, 404)},
    ),
)
class FormViewSet(StrictQueryString, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """`/forms/`: intake forms. Submitting one opens a ticket."""

    serializer_class = FormSerializer
    pagination_class = ByPosition
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN

    def get_queryset(self) -> QuerySet[Form]:
        return selectors.forms_usable_by(self.request.user)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(FormVersionSerializer(self._published_version()).data)

    @extend_schema(
        summary="Read a form's JSON Schema",
        description="The published version compiled to JSON Schema (draft 2020-12), for validating `answers` "
        "before sending them. The server's own check decides; the two agree.",
        parameters=[FORM_SLUG],
        responses={
            (200, JSON): JSON_SCHEMA_DOCUMENT,
            (200, JSONSchemaRenderer.media_type): JSON_SCHEMA_DOCUMENT,
            **json_errors(400, 404),
        },
    )
    @action(detail=True, methods=["get"], url_path="schema", renderer_classes=[JSONRenderer, JSONSchemaRenderer])
    def json_schema(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(version_json_schema(self._published_version().definition))

    @extend_schema(
        summary="Submit a form",
        description="Opens a ticket in the form's category, with its default priority, the subject its template "
        "makes and the description its description field holds; the answers stay with the ticket. JSON, or "
        "`multipart/form-data` when a file field has uploads: then `answers` is a JSON string and each file "
        "field's uploads are parts named after its key. Invalid answers are 400 `invalid` with `details` keyed by "
        "field key; a field keyed like one of the submission's own names (`form`, `files`, `requester`…: a version "
        "published before such keys were refused) under `answers.<key>`. Answers to fields the conditions hide are "
        "dropped.",
        parameters=[FORM_SLUG, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED],
        request={JSON: SubmissionCreateSerializer, "multipart/form-data": SUBMISSION_MULTIPART_SCHEMA},
        responses={201: TicketDetailSerializer, **errors(*BODY_ERRORS, 403, 404, 409, 422)},
    )
    @action(detail=True, methods=["post"], url_path="submissions")
    @idempotent
    def submissions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = self.get_object()
        refuse_staff_only_fields(request, ("requester",))
        serializer = SubmissionCreateSerializer(data=request.data)
        files = {key: request.FILES.getlist(key) for key in request.FILES}
        if not serializer.is_valid():
            raise ValidationError(_with_answer_problems(serializer, form, files))
        data = serializer.validated_data
        submission, _ = services.submission_create(
            form=form,
            answers=data["answers"],
            files=files,
            requester=data.get("requester") or request.user,
            actor=request.user,
        )
        # The private link's token is for public forms filled in without signing in; this caller is signed in.
        ticket = ticket_list_for(request.user).get(pk=submission.ticket_id)
        body = TicketDetailSerializer(ticket, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def handle_exception(self, exc: Exception) -> Response:
        # The error body is JSON whatever was asked for: `application/schema+json` is only for the schema itself.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def _published_version(self) -> FormVersion:
        version = selectors.form_latest_version(form=self.get_object())
        if version is None:  # unpublished since the lookup: as if it never was
            raise Http404
        return version


def _with_answer_problems(
    serializer: SubmissionCreateSerializer, form: Form, files: dict[str, list[Any]]
) -> dict[str, list[str]]:
    """The serializer's refusals (a requester who cannot be used) together with the answers' own problems, so one
    response names them all, as the page does. Answers that are not an object have no problems to look for."""
    problems = {key: list(messages) for key, messages in serializer.errors.items()}
    if "answers" in problems or not isinstance(serializer.initial_data, Mapping):
        return problems
    field = serializer.fields["answers"]  # read as the serializer read it: a multipart part is a JSON string
    answers = field.run_validation(field.get_value(serializer.initial_data))
    for key, messages in selectors.answer_problems(form=form, answers=answers, files=files).items():
        problems.setdefault(key, []).extend(messages)
    return problems
