"""The documented API contract: shared OpenAPI pieces for drf-spectacular.

Views describe what is particular to them with `@extend_schema`; what every operation has in common (the error
body, authentication, rate limits) is described here once, so a new endpoint cannot forget it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from helpdesk import api_fields
from helpdesk.idempotency import KEY_PATTERN, MAX_KEY_LENGTH, is_idempotent
from helpdesk.pagination import ById
from tickets.models import Priority

ERROR_COMPONENT = "ErrorBody"
ERROR_REF = f"#/components/schemas/{ERROR_COMPONENT}"
BEARER_SCHEME = "bearerAuth"


class ErrorSerializer(serializers.Serializer):
    code = api_fields.CharField(
        help_text="Stable, machine-readable: `invalid`, `parse_error`, `not_authenticated`, `authentication_failed`, "
        "`permission_denied`, `not_found`, `method_not_allowed`, `not_acceptable`, `invalid_transition`, "
        "`ticket_closed`, `ticket_merged`, `precondition_failed`, `request_too_large`, `file_too_large`, "
        "`unsupported_media_type`, `idempotency_key_reused`, `idempotency_key_in_progress`, `insufficient_scope`, "
        "`mfa_required`, `email_unverified`, `invalid_cursor`, `throttled`, `service_unavailable`, `server_error`."
    )
    message = api_fields.CharField(help_text="For people: safe to show, may change wording between releases.")
    details = serializers.DictField(
        help_text="Per-field messages, `{field: [message, ...]}`; errors not tied to a field are under "
        "`non_field_errors`. Empty when there is nothing more to say."
    )


class ErrorBodySerializer(serializers.Serializer):
    """Every failure under /api/ answers with this body, whatever the status code."""

    error = ErrorSerializer()


# Why each status happens, in words an integrator can act on. The hook below reuses the same sentences.
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The request is not valid: a field, a query parameter (unknown names are refused, `page_size` must be "
    "1..100), a cursor or a header. `details` names the fields.",
    401: "No credentials, or a bearer token that is malformed, unknown, expired or revoked.",
    403: "Authenticated, but this user's role may not do this, or the bearer token lacks the `write` scope this "
    "operation needs (`insufficient_scope`), or the account has not confirmed its email address yet "
    "(`email_unverified`: the message says how to).",
    404: "No such object, or one this user may not see: the API never confirms that another user's object exists.",
    405: "This path does not support the HTTP method.",
    406: "`not_acceptable`: the `Accept` header names no type this operation answers with. Send "
    "`Accept: application/json` (or no `Accept` header).",
    409: "The request conflicts with the object's state (an invalid status transition, a closed ticket), or a "
    "request with the same `Idempotency-Key` is still in progress (`idempotency_key_in_progress`, with `Retry-After`).",
    412: "`If-Match` does not match the ticket's current `ETag`: someone changed it since you read it. "
    "Read it again, then retry.",
    413: "The request body, or an attached file, is larger than the server accepts.",
    415: "The `Content-Type` of the body is not one this operation accepts.",
    422: "This `Idempotency-Key` was already used with a different request body.",
    429: "Too many requests: wait the number of seconds in `Retry-After`, then retry.",
    503: "`service_unavailable`: the database, or the attachments' storage, is unreachable or restarting. Nothing "
    "was written: wait the number of seconds in `Retry-After`, then retry (a create with the same `Idempotency-Key`).",
}


ERROR_RESPONSES: dict[int, OpenApiResponse] = {
    status: OpenApiResponse(response=ErrorBodySerializer, description=description)
    for status, description in ERROR_DESCRIPTIONS.items()
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """`responses={200: X, **errors(400, 404)}`: the error responses an operation can answer with."""
    return {status: ERROR_RESPONSES[status] for status in statuses}


# Errors any operation that takes a request body can answer with, besides its own.
BODY_ERRORS = (400, 413, 415)


IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    type={"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string you choose (a UUID is ideal), at most 255 printable ASCII characters. Retrying "
    "a create with the same key and body replays the first response instead of creating a second object; the same "
    "key with a different body is refused with 422, and a retry while the first request is still running with 409.",
)

IDEMPOTENT_REPLAYED = OpenApiParameter(
    name="Idempotent-Replayed",
    type={"type": "string", "enum": ["true"]},
    location=OpenApiParameter.HEADER,
    response=[201],
    description="`true` when this is the stored response to an earlier request with the same `Idempotency-Key`: "
    "nothing new was created.",
)


IDEMPOTENT_PARAMETERS = (IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED)
# 409 while the first request with the key is still running, 422 for the key reused with another body.
IDEMPOTENCY_ERRORS = (409, 422)


def header(name: str, description: str, **kwargs: Any) -> OpenApiParameter:
    """A string header; optional in a request unless `required=True`, or sent in the `response=[...]` statuses."""
    return OpenApiParameter(name=name, type=str, location=OpenApiParameter.HEADER, description=description, **kwargs)


IF_MATCH = header(
    "If-Match",
    "The `ETag` from your last read of this ticket. The change is refused with 412 if the ticket "
    "changed since, so two people cannot silently overwrite each other's triage.",
)

IF_NONE_MATCH = header(
    "If-None-Match",
    "The `ETag` of the copy you have. If the ticket has not changed since, the answer is 304 with no "
    "body: a cheap way to poll.",
)

ETAG = header(
    "ETag",
    "The ticket's current version. Send it back in `If-Match` when you change the ticket.",
    required=True,
    response=[200, 304],
)

NOT_MODIFIED = OpenApiResponse(description="The ticket still matches `If-None-Match`; there is no body.")


def path_id(name: str, description: str) -> OpenApiParameter:
    """An integer id in the path (the router's regex alone would make it a string with a pattern)."""
    return OpenApiParameter(name=name, type=int, location=OpenApiParameter.PATH, description=description)


TICKET_ID = path_id("ticket_id", "The ticket's id.")


def collection_schema(
    *, tag: str, item: type[serializers.Serializer], item_id: OpenApiParameter, **operations: dict[str, Any]
) -> Callable[[type], type]:
    """The schema of a collection's viewset (helpdesk.viewsets.ManagedCollection): each operation named in
    `operations` with its own words (`summary`, `description`) and anything it answers differently (`request`,
    `responses`); what every such collection has in common (its tag, the item's id in the path, the item in the
    answer and the errors each operation can give) is filled in here. A create wrapped in `@idempotent` gets the
    `Idempotency-Key` header and its 409 and 422, read from the viewset itself, so the schema cannot promise
    idempotency a create lacks, nor leave out one it has."""
    answer_errors = errors(400, 403, 404)
    common: dict[str, dict[str, Any]] = {
        "list": {"responses": {200: item, **answer_errors}},
        "retrieve": {"parameters": [item_id], "responses": {200: item, **answer_errors}},
        "create": {"responses": {201: item, **errors(*BODY_ERRORS, 403)}},
        "partial_update": {"parameters": [item_id], "responses": {200: item, **errors(*BODY_ERRORS, 403, 404)}},
        "destroy": {"parameters": [item_id], "responses": {204: None, **answer_errors}},
    }

    def document(viewset: type) -> type:
        described = {name: {**common.get(name, {}), **own} for name, own in operations.items()}
        if "create" in described and is_idempotent(getattr(viewset, "create", None)):
            described["create"] = idempotent_create(described["create"])
        schemas = {name: extend_schema(tags=[tag], **spec) for name, spec in described.items()}
        return extend_schema_view(**schemas)(viewset)

    return document


def idempotent_create(spec: dict[str, Any]) -> dict[str, Any]:
    """A create's `extend_schema` arguments with the `Idempotency-Key` header, the replay header and their errors."""
    responses = {**spec.get("responses", {}), **errors(*IDEMPOTENCY_ERRORS)}
    return {**spec, "parameters": [*spec.get("parameters", []), *IDEMPOTENT_PARAMETERS], "responses": responses}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Bearer <token>`; tokens come from POST /api/v1/auth/token/."""

    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = BEARER_SCHEME

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix=self.target.keyword)
        scheme["description"] = "A token from POST /api/v1/auth/token/, sent as `Authorization: Bearer <token>`."
        return scheme


class CredentialsSchema(OpenApiSerializerExtension):
    """`TokenRequestSerializer` would be the `TokenRequestRequest` component: name it for what it holds."""

    target_class = "accounts.serializers.TokenRequestSerializer"

    def get_name(self, auto_schema: AutoSchema, direction: str) -> str:
        return "Credentials"


class PriorityFieldSchema(OpenApiSerializerFieldExtension):
    """Priorities are stored as numbers but spoken as names; the schema speaks the names."""

    target_class = "tickets.serializers.PriorityField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        return {"type": "string", "enum": [p.label for p in Priority], "description": "From least to most urgent."}


# --- Postprocessing: what every operation shares ----------------------------------------------------------

HEADERS_REF = "#/components/headers/"
RESPONSES_REF = "#/components/responses/"

# Components the hook adds once and every operation refers to, instead of repeating them in every response.
SHARED_HEADERS: dict[str, dict[str, Any]] = {
    "RateLimit-Limit": {
        "schema": {"type": "integer"},
        "required": True,
        "description": "Requests allowed per window for this kind of request (reads, writes, credentials).",
    },
    "RateLimit-Remaining": {
        "schema": {"type": "integer"},
        "required": True,
        "description": "Requests left in the current window.",
    },
    "RateLimit-Reset": {
        "schema": {"type": "integer"},
        "required": True,
        "description": "Seconds until the window resets.",
    },
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."},
    "WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`: how to authenticate."},
}
RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def _header_refs(*names: str) -> dict[str, dict[str, str]]:
    return {name: {"$ref": HEADERS_REF + name} for name in names}


def _error_response(status: int, *headers: str) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
        "headers": _header_refs(*headers, *RATE_LIMIT_HEADERS),
    }


SHARED_RESPONSES: dict[str, dict[str, Any]] = {
    "Unauthenticated": _error_response(401, "WWW-Authenticate"),
    "Forbidden": _error_response(403),
    "NotAcceptable": _error_response(406),
    "RateLimited": _error_response(429, "Retry-After"),
    "Unavailable": _error_response(503, "Retry-After"),
}


def _requires_authentication(operation: dict[str, Any]) -> bool:
    # An empty requirement ({}) among the alternatives means anonymous callers are let in too.
    security = operation.get("security", [])
    return bool(security) and {} not in security


def _answers_any_type(operation: dict[str, Any]) -> bool:
    """A file download answers with the file's own type whatever `Accept` says (helpdesk.renderers)."""
    return "*/*" in operation["responses"].get("200", {}).get("content", {})


def _document_page_size_bounds(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and parameter["name"] == ById.page_size_query_param:
            parameter["schema"].update(minimum=1, maximum=ById.max_page_size)
            parameter["description"] = f"Results per page, 1 to {ById.max_page_size}."


def document_cross_cutting_behaviour(
    result: dict[str, Any], generator: Any, request: Any, public: bool, **kwargs: Any
) -> dict[str, Any]:
    """A postprocessing hook: the throttle and the authenticator answer for every operation, so say so everywhere.

    Every operation can be rate limited (429, `Retry-After`), find the database down (503, `Retry-After`) or be
    asked for a type it does not answer with (406, from DRF's content negotiation, before the view runs), every
    authenticated one can answer 401 (and 403 for a read-only token when it writes), and every
    response carries the `RateLimit-*` headers; `page_size` gets the bounds the paginator enforces.
    """
    components = result.setdefault("components", {})
    components.setdefault("headers", {}).update(SHARED_HEADERS)
    components.setdefault("responses", {}).update(SHARED_RESPONSES)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation["responses"]
            for response in responses.values():
                response.setdefault("headers", {}).update(_header_refs(*RATE_LIMIT_HEADERS))
            if _requires_authentication(operation):
                responses.setdefault("401", {"$ref": RESPONSES_REF + "Unauthenticated"})
                if method.upper() not in SAFE_METHODS:  # a read-only token is refused here
                    responses.setdefault("403", {"$ref": RESPONSES_REF + "Forbidden"})
            if not _answers_any_type(operation):
                responses.setdefault("406", {"$ref": RESPONSES_REF + "NotAcceptable"})
            responses.setdefault("429", {"$ref": RESPONSES_REF + "RateLimited"})
            responses.setdefault("503", {"$ref": RESPONSES_REF + "Unavailable"})
            _document_page_size_bounds(operation)
    return result
