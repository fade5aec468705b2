"""A database that is down, restarting or locked is a `503` with `Retry-After`, never a 500.

The client's request did nothing wrong and may simply be sent again: the API answers its error body with code
`service_unavailable`, pages a short page saying so. A database error means the transaction was rolled back, so
nothing was half-written, and a create sent with an `Idempotency-Key` is safe to retry (helpdesk/idempotency.py).

How long a request waits before it is answered so: DATABASE_CONNECT_TIMEOUT (PostgreSQL's connect_timeout), or with
DATABASE_POOL the pool's wait for a connection (DATABASE_POOL_TIMEOUT); SQLite waits SQLITE_BUSY_TIMEOUT for a lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger("helpdesk.availability")

RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = "The service is briefly unavailable (its database is not answering). Retry shortly."
# Django wraps every driver error in its own classes: these two are the server (or the file lock) not answering,
# as opposed to a query that is wrong (ProgrammingError) or data that breaks a rule (IntegrityError, DataError).
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
# What stops a worker's run over many rows (a sweep, the time rules) instead of setting one row aside: the database
# went away, or the task ran out of time (Celery raises SoftTimeLimitExceeded so that it stops before it is killed).
# Neither is the row's fault; the next run goes on from there. Anything else raised on one row is logged and that
# row set aside, so the rows after it go on (`row_at_fault` decides).
RUN_STOPS = (*UNAVAILABLE_ERRORS, SoftTimeLimitExceeded)
# An OperationalError that is one row's lock, not the database going away: PostgreSQL's deadlock_detected and
# lock_not_available (lock_timeout, NOWAIT). Its transaction was rolled back; the run goes on with the other rows and
# the next run tries this one again. (SQLite's "database is locked" is the whole file's: it stops the run, as the
# rows after it would each wait as long.)
ROW_LOCK_SQLSTATES = frozenset({"40P01", "55P03"})
# PostgreSQL's query_canceled: statement_timeout ran out on the row's work (lock_timeout is 55P03). The connection is
# fine, so not an outage; nor a lock that goes away: a row whose work always takes too long would be tried on every
# run and never recorded. The row's own fault, recorded with its backoff.
QUERY_CANCELED = "57014"


def _sqlstate(error: BaseException) -> str | None:
    return getattr(error.__cause__, "sqlstate", None)


def is_row_lock_failure(error: BaseException) -> bool:
    if not isinstance(error, OperationalError):
        return False
    return _sqlstate(error) in ROW_LOCK_SQLSTATES


def row_at_fault(error: Exception) -> bool:
    """One row of a worker's run over many rows raised (its transaction rolled back): is the row to be set aside?

    Call it in the `except`. The database gone or the time up (RUN_STOPS) is raised again, and the run stops. A lock
    the row could not get is logged, and False: the row is left as it is for the next run (not its fault, and
    recording a failure would wait for that same lock). Anything else (a statement timeout too) is the row's own
    fault: True, and the caller records it and goes on with the other rows."""
    if is_row_lock_failure(error):
        logger.warning("row locked by another transaction, left for the next run: %s", error)
        return False
    if isinstance(error, RUN_STOPS) and _sqlstate(error) != QUERY_CANCELED:
        raise error
    return True


def unavailable_response(request: HttpRequest, error: BaseException) -> HttpResponse:
    from helpdesk.api_errors import API_PREFIX, error_body  # imports DRF's views, which read our settings

    logger.warning("database unavailable, answering 503: %s", error)
    if request.path.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse(error_body("service_unavailable", UNAVAILABLE_MESSAGE), status=503)
    else:
        # Rendered without a request context, like 500.html: the base layout would ask the database for the user.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Goes right after AuthenticationMiddleware: loads the signed-in user first (the first database access of most
    page requests), and turns a database outage in a view (the API's included) into the 503 above."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.user.is_authenticated  # noqa: B018 (evaluates the lazy user: session and user rows)
        except UNAVAILABLE_ERRORS as error:
            request.user = AnonymousUser()  # so nothing later (the request log) asks the database again
            return unavailable_response(request, error)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, UNAVAILABLE_ERRORS):
            return unavailable_response(request, exception)
        return None
