"""Request ids and one structured log line per request.

Every request gets an id: the caller's `X-Request-ID` when it is a sane token, a fresh one otherwise. It is echoed
in the response, set on every log record written while the request runs (through a context variable), and so ties
an error's traceback to the request line that shows who hit it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="-")
logger = logging.getLogger("helpdesk.request")


def request_id_for(request: HttpRequest) -> str:
    """The caller's id when it is a plain token (so it cannot forge log lines), otherwise a new one."""
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if _ACCEPTABLE_REQUEST_ID.match(offered) else uuid.uuid4().hex


class RequestIdLogFilter(logging.Filter):
    """Stamps every log record with the id of the request being served ("-" outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            _log_request(request, response, duration_ms=(time.perf_counter() - started) * 1000)
            return response
        finally:
            current_request_id.reset(token)


def _log_request(request: HttpRequest, response: HttpResponse, *, duration_ms: float) -> None:
    # The path only: query strings and bodies may carry secrets, and headers certainly do.
    user = getattr(request, "user", None)
    logger.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(duration_ms, 2),
            "user_id": user.pk if user is not None and user.is_authenticated else None,
        },
    )
