"""The API's one error body: {"error": {"code", "message", "details"}} for every failure under /api/."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from helpdesk.availability import RETRY_AFTER_SECONDS
from helpdesk.errors import DomainError
from helpdesk.limits import RequestTooLarge

API_PREFIX = "/api/"


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _flatten_details(detail: Any) -> dict[str, Any]:
    """DRF validation errors become {field: [messages]}; errors not tied to a field go under non_field_errors."""
    if isinstance(detail, dict):
        return {key: _as_messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": _as_messages(detail)}
    return {}


def _as_messages(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _as_messages(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_messages(item) if isinstance(item, dict | list) else str(item) for item in value]
    return [str(value)]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        response = Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
        if exc.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:  # a store not answering: the same request later
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, RequestDataTooBig):  # Django's own form-field limit: the same 413 as the API's parsers
        exc = RequestTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's handler500 below answers with the error body
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", "The request is not valid.", _flatten_details(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = error_body(code if isinstance(code, str) else "error", str(detail))
    response.data = body
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def api_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)


def api_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("bad_request", "The request could not be understood."), status=400)


def api_forbidden(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("permission_denied", "You do not have permission to do this."), status=403)


# Project-wide error handlers: JSON under /api/, Django's own HTML pages elsewhere.
def handler400(request: HttpRequest, exception: Exception | None = None) -> Any:
    return api_bad_request(request) if _is_api(request) else defaults.bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception | None = None) -> Any:
    return api_forbidden(request) if _is_api(request) else defaults.permission_denied(request, exception)


def handler404(request: HttpRequest, exception: Exception | None = None) -> Any:
    return api_not_found(request) if _is_api(request) else defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> Any:
    return api_server_error(request) if _is_api(request) else defaults.server_error(request)
