"""`Idempotency-Key` on API creates: a retried POST returns the first response instead of creating a second object.

Put `@idempotent` on a create: a viewset's `create` method, or an `@api_view` function (below `@api_view`). A create
whose answer shows a secret once (a webhook endpoint's signing secret) takes `@idempotent_withholding("secret")`: the
stored answer, and so a replay, has null there, so no secret is kept beside the encrypted one it was shown from.

- No header: the create runs as usual. An empty key or one over 255 characters: 400.
- Keys belong to the user who sent them; the same key from two users is two keys.
- First use: the key is claimed (a committed in-flight row), the create runs, and its response is stored in the
  same transaction as the objects it created, so a crash leaves neither or both.
- Same key, same request (method, path and body) within IDEMPOTENCY_KEY_TTL_HOURS: the stored response again,
  with `Idempotent-Replayed: true`, and nothing is created.
- Same key, different request: 422 `idempotency_key_reused`. Still running: 409 `idempotency_key_in_progress`, with
  `Retry-After`.
- A create that raises (validation, permission, a domain error, a crash) or answers 5xx wrote nothing, because
  services are atomic: its claim is released, so a corrected retry with the same key runs.
- A claim is a lease of IDEMPOTENCY_LEASE_SECONDS, longer than any request may run (gunicorn kills a worker after its
  timeout, 30 s by default). A claim left behind by a request that never finished (its worker was killed, the
  machine lost power) lapses then, and the next retry takes it over and runs the create; the dead request's
  transaction was rolled back, so nothing is created twice. Should a request outlive its lease after all, it finds
  its claim taken and rolls back its create rather than store a second answer.
- Expired keys are ignored and taken over; `manage.py purge_idempotency_keys` deletes them.

Page forms get the same from a one-time token in a hidden field (`helpdesk.forms.SubmitTokenField`): see
`page_post_once`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from helpdesk.models import IdempotencyRecord, IdempotencyState

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Printable ASCII (what HTTP allows in a header, and any database stores), not only spaces. The schema shows it too.
KEY_PATTERN = r"^[ -~]*[!-~][ -~]*$"
# An expired key can be taken over by two retries at once; the loser tries again rather than failing at once.
CLAIM_ATTEMPTS = 3
# The longest Retry-After on a 409 in progress: the first request usually finishes long before its lease lapses.
IN_PROGRESS_RETRY_MAX_SECONDS = 5
# What a page form's token looks like (SubmitTokenField makes 22 such characters); anything else is no token.
PAGE_TOKEN_PATTERN = r"[A-Za-z0-9_-]{16,64}"  # noqa: S105 (a pattern, not a secret)

Handler = Callable[..., Response]


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used for a different request. Use a new key."


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_progress"
    default_detail = "A request with this Idempotency-Key is still being processed. Retry after Retry-After seconds."

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__()
        self.wait = retry_after  # DRF's exception handler sends it as Retry-After


def idempotent(handler: Handler) -> Handler:
    return idempotent_withholding()(handler)


def idempotent_withholding(*withheld: str) -> Callable[[Handler], Handler]:
    """`@idempotent`, storing the answer with the fields `withheld` (top-level names) as null: a replay shows them so.
    The records are plain text in the database: a secret an answer shows once must not be copied there."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            request = next(arg for arg in args[:2] if isinstance(arg, Request))
            return run_idempotently(request, lambda: handler(*args, **kwargs), withheld=frozenset(withheld))

        wrapper.idempotent = True  # type: ignore[attr-defined]  # read by helpdesk.openapi.collection_schema
        return wrapper

    return decorate


def is_idempotent(handler: Callable[..., Any] | None) -> bool:
    """Whether `handler` honours `Idempotency-Key` (is wrapped by `@idempotent`), so its schema can say so."""
    return bool(getattr(handler, "idempotent", False))


def run_idempotently(
    request: Request, run: Callable[[], Response], *, withheld: frozenset[str] = frozenset()
) -> Response:
    key = request.headers.get(HEADER)
    if key is None or not request.user.is_authenticated:
        return run()
    _validate_key(key)
    fingerprint = request_fingerprint(request)
    record, claimed = _claim(
        user=request.user, key=key, method=request.method, path=request.path, fingerprint=fingerprint
    )
    if claimed:
        return _run_claimed(record, run, withheld)
    return _answer_for_existing(record, fingerprint)


def _validate_key(key: str) -> None:
    if len(key) > MAX_KEY_LENGTH or not re.fullmatch(KEY_PATTERN, key):
        raise exceptions.ValidationError(
            {HEADER: [f"Send a key of 1 to {MAX_KEY_LENGTH} printable ASCII characters, such as a UUID."]}
        )


def request_fingerprint(request: Request) -> str:
    """SHA-256 of what the request asks for: method, path and the parsed body.

    The parsed body, not the bytes: JSON key order and whitespace, and a multipart boundary, do not make a
    different request. Files count by name, size and a hash of their content.
    """
    return _fingerprint(request.method, request.path, request.data)


def _fingerprint(method: str | None, path: str, data: Any) -> str:
    canonical = [method, path, _canonical_body(data)]
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _canonical_body(data: Any) -> Any:
    if isinstance(data, QueryDict):  # form and multipart bodies; their values may be files
        return {key: [_canonical_value(value) for value in data.getlist(key)] for key in data}
    return data


def _canonical_value(value: Any) -> Any:
    if not isinstance(value, UploadedFile):
        return value
    digest = hashlib.sha256()
    for chunk in value.chunks():
        digest.update(chunk)
    value.seek(0)  # the create reads the file again to store it
    return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}


def _expiry_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def _lease_end(record: IdempotencyRecord) -> datetime:
    return record.created_at + timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)


def _is_live(record: IdempotencyRecord, now: datetime) -> bool:
    """A claim until its lease lapses; a stored response until its TTL does."""
    if record.state == IdempotencyState.IN_FLIGHT:
        return now < _lease_end(record)
    return record.created_at >= _expiry_cutoff(now)


def _in_progress(record: IdempotencyRecord) -> IdempotencyKeyInProgress:
    remaining = (_lease_end(record) - timezone.now()).total_seconds()
    return IdempotencyKeyInProgress(retry_after=int(min(max(remaining, 1), IN_PROGRESS_RETRY_MAX_SECONDS)))


def _claim(*, user: User, key: str, method: str, path: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    """Claim the key for this request (True), or return the live record someone else holds (False).

    The insert commits on its own, before the create runs, so a concurrent duplicate sees it at once; the
    unique (user, key) constraint decides the race.
    """
    fields = {"method": method, "path": path, "fingerprint": fingerprint}
    for _ in range(CLAIM_ATTEMPTS):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(user=user, key=key, **fields), True
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if existing is None:
            continue  # released or purged since our insert failed: try again
        if _is_live(existing, timezone.now()):
            return existing, False
        if _take_over(existing, fields):
            return existing, True
    raise IdempotencyKeyInProgress()


def _take_over(record: IdempotencyRecord, fields: dict[str, str]) -> bool:
    """Reuse an expired record, or a claim whose lease lapsed, for this request. Matching on created_at (which
    names the claim) makes only one taker win."""
    now = timezone.now()
    fresh = {
        **fields,
        "state": IdempotencyState.IN_FLIGHT,
        "response_status": None,
        "response_body": "",
        "created_at": now,
    }
    taken = IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at).update(**fresh)
    for name, value in fresh.items():
        setattr(record, name, value)
    return taken == 1


def _run_claimed(record: IdempotencyRecord, run: Callable[[], Response], withheld: frozenset[str]) -> Response:
    try:
        with transaction.atomic():
            response = run()
            if response.status_code < status.HTTP_500_INTERNAL_SERVER_ERROR:
                _store_response(record, response, withheld)
    except BaseException:
        _release(record)
        raise
    if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        _release(record)
    return response


def _our_claim(record: IdempotencyRecord) -> QuerySet[IdempotencyRecord]:
    """The record while it still holds this request's claim (a retry may have taken over a lapsed lease)."""
    return IdempotencyRecord.objects.filter(
        pk=record.pk, created_at=record.created_at, state=IdempotencyState.IN_FLIGHT
    )


def _store_response(record: IdempotencyRecord, response: Response, withheld: frozenset[str]) -> None:
    # Stored as the client saw it, rendered, so a replay is the same JSON whatever types the view returned.
    data = response.data
    if withheld and isinstance(data, dict):
        data = {name: None if name in withheld else value for name, value in data.items()}
    body = JSONRenderer().render(data).decode() if data is not None else ""
    stored = _our_claim(record).update(
        state=IdempotencyState.COMPLETED, response_status=response.status_code, response_body=body
    )
    if not stored:  # this request outlived its lease and a retry took the key over: roll the create back
        raise _in_progress(record)


def _release(record: IdempotencyRecord) -> None:
    _our_claim(record).delete()


def _answer_for_existing(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if record.state == IdempotencyState.IN_FLIGHT:
        raise _in_progress(record)
    # json.loads keeps the key order, so the replay renders to the same bytes as the first response.
    body = json.loads(record.response_body) if record.response_body else None
    return Response(body, status=record.response_status, headers={REPLAYED_HEADER: "true"})


def page_post_once(
    request: HttpRequest, *, token: str, post: Callable[[], HttpResponse | None], sent_already: str
) -> HttpResponse | None:
    """Run a page form's `post` once for its one-time token: the same form sent again (a double click, the browser
    resending it) is redirected where the first post was, with the message `sent_already`, and runs nothing.

    The token's record is written in the post's own transaction, so two posts at once take turns on its unique key:
    the second waits until the first commits, then finds it (or, if the first rolled back, runs). A post that does
    not redirect (refused: `post` returns the page with the errors, or None) keeps no record, so the corrected form
    can be sent with the same token. The body is part of the key: the form changed and sent again with its token
    (Back, other details typed in) is a new post. Without a token (a page loaded before there was one) `post`
    simply runs. Records are purged with the API's keys, after IDEMPOTENCY_KEY_TTL_HOURS.
    """
    if not re.fullmatch(PAGE_TOKEN_PATTERN, token) or not request.user.is_authenticated:
        return post()
    body = request.POST.copy()
    body.update(request.FILES)
    fingerprint = _fingerprint(request.method, request.path, body)
    fields = {"user": request.user, "key": f"page:{token}:{fingerprint}"}
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    **fields, method=request.method, path=request.path, fingerprint=fingerprint
                )
        except IntegrityError:
            earlier = IdempotencyRecord.objects.get(**fields)
            messages.info(request, sent_already)
            return HttpResponseRedirect(earlier.response_body)
        response = post()
        if not isinstance(response, HttpResponseRedirect):
            transaction.set_rollback(True)  # nothing was done: nor is the token kept
            return response
        record.state, record.response_status = IdempotencyState.COMPLETED, response.status_code
        record.response_body = response.url  # for a page, the first post's answer is where it redirected
        record.save(update_fields=["state", "response_status", "response_body"])
    return response


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete every record past its TTL; returns how many went."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=_expiry_cutoff(now)).delete()
    return deleted
