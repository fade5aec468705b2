"""Every write of the webhooks app: endpoints and their secrets, preparing deliveries, attempts, retries, the sweep.

Where does a delivery start? `deliveries_prepare`, run by the event handler (webhooks/handlers.py) for every event.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts.models import User
from events.models import Event, EventKind, HandlerRun, RunState
from events.services import event_record
from helpdesk.availability import row_at_fault
from helpdesk.errors import InvalidValue
from webhooks import sending, ssrf
from webhooks.models import UNFINISHED_STATES, DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.payloads import delivery_body

logger = logging.getLogger(__name__)

SECRET_BYTES = 32
SWEEP_BATCH = 500
# The handler's name in events.HandlerRun: an earlier event of a ticket whose run has not succeeded yet is prepared
# by whichever later event's run comes first, so a ticket's deliveries are always created in event order.
FAN_OUT_HANDLER = "webhooks.tasks.webhooks_fan_out"


# --- Endpoints ----------------------------------------------------------------------------------------------


def secret_generate() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _checked(*, url: str | None, event_kinds: list[str]) -> None:
    """`url` None: unchanged, not checked again (disabling an endpoint must not depend on DNS answering)."""
    details: dict[str, list[str]] = {}
    problem = ssrf.url_problem(url) if url is not None else None
    if problem:
        details["url"] = [problem]
    unknown = [kind for kind in event_kinds if kind not in EventKind.values]
    if unknown:
        details["event_kinds"] = [f"Unknown event kinds: {', '.join(unknown)}."]
    if details:
        raise InvalidValue("The webhook endpoint is not valid.", details=details)


@transaction.atomic
def webhook_endpoint_create(
    *,
    url: str,
    actor: User | None,
    description: str = "",
    event_kinds: list[str] | None = None,
    include_internal: bool = False,
    is_active: bool = True,
) -> WebhookEndpoint:
    """Register an endpoint with a fresh signing secret (`endpoint.secret`: show it once, now)."""
    event_kinds = list(dict.fromkeys(event_kinds or []))
    _checked(url=url, event_kinds=event_kinds)
    return WebhookEndpoint.objects.create(
        url=url,
        description=description,
        event_kinds=event_kinds,
        include_internal=include_internal,
        is_active=is_active,
        secret=secret_generate(),
        created_by=actor if actor is not None and actor.pk else None,
    )


ENDPOINT_FIELDS = ("url", "description", "event_kinds", "include_internal", "is_active")


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    """Change the given fields. Enabling an endpoint clears why it was disabled; its waiting deliveries resume."""
    unknown = set(changes) - set(ENDPOINT_FIELDS)
    if unknown:
        raise TypeError(f"not endpoint fields: {sorted(unknown)}")
    if "event_kinds" in changes:
        changes["event_kinds"] = list(dict.fromkeys(changes["event_kinds"]))
    new_url = changes.get("url")
    _checked(
        url=new_url if new_url is not None and new_url != endpoint.url else None,
        event_kinds=changes.get("event_kinds", endpoint.event_kinds),
    )
    # The stored row: a form has already changed the object in memory.
    was_active = WebhookEndpoint.objects.filter(pk=endpoint.pk).values_list("is_active", flat=True).get()
    for name, value in changes.items():
        setattr(endpoint, name, value)
    if changes.get("is_active"):
        endpoint.disabled_reason = ""
    endpoint.updated_at = timezone.now()
    endpoint.save()
    if endpoint.is_active and not was_active:
        _retry_window_renew(endpoint, endpoint.updated_at)
    return endpoint


def _retry_window_renew(endpoint: WebhookEndpoint, now: datetime) -> None:
    """Deliveries that waited while the endpoint was disabled get a full window again; their old one may have run
    out meanwhile, and the first failure would fail them and disable the endpoint again."""
    endpoint.deliveries.filter(state=DeliveryState.PENDING).update(
        give_up_at=now + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS)
    )


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, now: datetime | None = None) -> WebhookEndpoint:
    """A new secret; the old one keeps signing beside it for WEBHOOK_SECRET_OVERLAP_HOURS, so receivers can switch."""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    endpoint.secret = secret_generate()
    endpoint.updated_at = now
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """The endpoint and its delivery log; deliveries still waiting are dropped with it.

    Its deliveries are locked first, as the worker locks one to record an attempt (`_attempt_create`): an attempt
    recorded just before is then deleted with them, and one after finds its delivery gone."""
    list(WebhookDelivery.objects.select_for_update().filter(endpoint=endpoint).values_list("pk", flat=True))
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> None:
    """The worker's doing: the endpoint is gone (410) or kept failing for a day. Admins are told by mail through
    an event recorded with the change (webhooks.tasks.mail_admins_of_disabled_endpoint): its handler is retried on
    its own and left failed for an admin to see, so a notice that cannot be queued never undoes the disabling, nor
    keeps the delivery that caused it from being given up."""
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_reason=reason[:300], updated_at=timezone.now()
    )
    if changed:
        logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)
        event_record(kind=EventKind.WEBHOOK_DISABLED, internal=True, payload={"endpoint_id": endpoint.pk})


# --- Preparing deliveries -----------------------------------------------------------------------------------


def _events_to_prepare(event: Event, since: datetime) -> tuple[list[Event], set[tuple[int, int]]]:
    """This event, and earlier events of its ticket (since the oldest endpoint) that no run of this handler has
    prepared yet (their runs are still to come), so that a ticket's deliveries are created, and so sent, in event
    order; with the (event, endpoint) pairs already delivered among them. Two queries, whatever the endpoints."""
    if event.ticket_id is None:
        candidates = [event]
    else:
        prepared = HandlerRun.objects.filter(event=OuterRef("pk"), handler=FAN_OUT_HANDLER, state=RunState.SUCCEEDED)
        candidates = list(
            Event.objects.filter(ticket_id=event.ticket_id, pk__lte=event.pk, created_at__gte=since)
            .filter(Q(pk=event.pk) | ~Exists(prepared))
            .order_by("pk")
        )
    existing = set(
        WebhookDelivery.objects.filter(event__in=[candidate.pk for candidate in candidates]).values_list(
            "event_id", "endpoint_id"
        )
    )
    return candidates, existing


@transaction.atomic
def deliveries_prepare(*, event: Event, now: datetime | None = None) -> list[WebhookDelivery]:
    """A delivery of the event for every active endpoint that subscribes to it. Safe to repeat."""
    now = now or timezone.now()
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True, created_at__lte=event.created_at)
        if endpoint.subscribes_to(event.kind, internal=event.internal)
    ]
    if not endpoints:
        return []
    candidates, existing = _events_to_prepare(event, min(endpoint.created_at for endpoint in endpoints))
    new: list[WebhookDelivery] = []
    bodies: dict[int, str] = {}
    for endpoint in endpoints:
        for candidate in candidates:
            if (
                (candidate.pk, endpoint.pk) in existing
                or candidate.created_at < endpoint.created_at
                or not endpoint.subscribes_to(candidate.kind, internal=candidate.internal)
            ):
                continue
            if candidate.pk not in bodies:
                bodies[candidate.pk] = delivery_body(candidate)
            new.append(
                WebhookDelivery(
                    endpoint=endpoint,
                    event=candidate,
                    ticket_id=candidate.ticket_id,
                    kind=candidate.kind,
                    message_id=f"msg_{secrets.token_urlsafe(18)}",
                    body=bodies[candidate.pk],
                    next_attempt_at=now,
                    give_up_at=now + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS),
                    created_at=now,
                )
            )
    WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True)
    created = list(
        WebhookDelivery.objects.filter(
            message_id__in=[delivery.message_id for delivery in new], state=DeliveryState.PENDING
        )
    )
    for delivery in created:
        transaction.on_commit(partial(queue_delivery, delivery.pk))
    return created


def queue_delivery(delivery_id: int, countdown: float = 0) -> None:
    """Hand a delivery to the worker. When the broker is unreachable the sweep sends it later; nothing is lost."""
    from webhooks.tasks import webhook_deliver

    try:
        webhook_deliver.apply_async(args=[delivery_id], countdown=countdown or None)
    except Exception:  # any broker error: the row is the source of truth, and the sweep finds it
        logger.warning("could not queue webhook delivery %s; the sweep will", delivery_id, exc_info=True)


# --- Attempts -----------------------------------------------------------------------------------------------


def _earlier_unfinished() -> Exists:
    return Exists(
        WebhookDelivery.objects.filter(
            endpoint_id=OuterRef("endpoint_id"),
            ticket_id=OuterRef("ticket_id"),
            event_id__lt=OuterRef("event_id"),
            state__in=UNFINISHED_STATES,
        )
    )


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Take the delivery for one attempt: it must be pending and due, its endpoint active, and no earlier
    delivery of the same ticket to the same endpoint still unfinished (that one goes first)."""
    claimable = WebhookDelivery.objects.filter(
        pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
    ).exclude(_earlier_unfinished())
    delivery = claimable.select_related("endpoint", "event").first()
    if delivery is None:
        return None
    if not delivery.endpoint.subscribes_to(delivery.kind, internal=delivery.event.internal):
        _fail_unsubscribed(delivery)
        return None
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING).update(
        state=DeliveryState.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()  # None: deleted since


def _fail_unsubscribed(delivery: WebhookDelivery) -> None:
    """An admin narrowed the endpoint's event kinds or turned internal events off since the delivery was prepared:
    what it no longer subscribes to is never sent, retries included."""
    failed = WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.PENDING).update(
        state=DeliveryState.FAILED,
        claimed_at=None,
        last_error="Not sent: the endpoint no longer subscribes to this event (its event kinds or internal events "
        "changed).",
    )
    if failed:
        _queue_next_of_ticket(delivery)


def signed_headers(*, endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime) -> dict[str, str]:
    """Standard Webhooks headers; during a rotation's overlap the signature header holds both signatures."""
    signatures = [
        Webhook(secret).sign(msg_id=delivery.message_id, timestamp=now, data=delivery.body)
        for secret in endpoint.signing_secrets(now)
    ]
    return {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def retry_delay(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter: about base x 2^(attempts-1) seconds (75-100 % of it, so endpoints that
    failed together do not come back together), capped; never sooner than the receiver's Retry-After (itself
    capped, so a receiver cannot park a delivery past its window)."""
    ceiling = min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_SECONDS)
    delay = secrets.SystemRandom().uniform(ceiling * 0.75, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.WEBHOOK_RETRY_MAX_SECONDS))
    return delay


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> WebhookAttempt | None:
    """One attempt at a delivery, when it is its turn; records it and decides what comes next. Safe to repeat."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    try:
        outcome = _send(delivery, now)
    except SoftTimeLimitExceeded:
        # Counted like any failed attempt, so the retry window still ends; escaping, it left the delivery `sending`
        # and the sweep sent it again for ever.
        outcome = sending.Outcome(error="Cut off by the worker's time limit.")
    attempt = _attempt_create(delivery, outcome, now)
    if attempt is None:
        logger.info(
            "webhook delivery %s not recorded: its endpoint %s was deleted while it was sent",
            delivery.pk,
            delivery.endpoint_id,
        )
        return None
    _record(delivery, outcome, now)
    return attempt


def _send(delivery: WebhookDelivery, now: datetime) -> sending.Outcome:
    endpoint = delivery.endpoint
    try:
        target = ssrf.target_for(endpoint.url)
    except ssrf.UnsafeUrl as error:
        return sending.Outcome(error=f"Not sent: {error}"[:500])
    headers = signed_headers(endpoint=endpoint, delivery=delivery, now=now)
    return sending.post(target=target, headers=headers, body=delivery.body.encode(), now=now)


@transaction.atomic
def _attempt_create(delivery: WebhookDelivery, outcome: sending.Outcome, now: datetime) -> WebhookAttempt | None:
    """The attempt in the delivery's log, or None when the delivery is gone: its endpoint was deleted (and the
    delivery with it) while it was being sent. Under the delivery's row lock, so it cannot go in the meantime."""
    if not WebhookDelivery.objects.select_for_update().filter(pk=delivery.pk).exists():
        return None
    return WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=now,
        duration_ms=outcome.duration_ms,
        status_code=outcome.status,
        response_head=outcome.head,
        error=outcome.error,
        succeeded=outcome.succeeded,
    )


@transaction.atomic
def _record(delivery: WebhookDelivery, outcome: sending.Outcome, now: datetime) -> None:
    """What comes after the attempt: the delivery succeeded, failed for good, or waits for its retry.

    All or nothing: a delivery fails only together with disabling its endpoint (and recording the event that tells
    the admins). When that raises, the delivery is left `sending`, and the sweep takes it up again once its worker
    would be dead."""
    rows = WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING)
    error = outcome.error or (f"HTTP {outcome.status}" if not outcome.succeeded else "")
    common = {"last_status": outcome.status, "last_error": error[:500], "claimed_at": None}
    if outcome.succeeded:
        rows.update(state=DeliveryState.SUCCEEDED, delivered_at=now, **common)
        _queue_next_of_ticket(delivery)
    elif outcome.status == 410:
        rows.update(state=DeliveryState.FAILED, **common)
        webhook_endpoint_disable(endpoint=delivery.endpoint, reason="The receiver answered 410 Gone.")
    else:
        delay = retry_delay(delivery.attempts, outcome.retry_after)
        next_attempt_at = now + timedelta(seconds=delay)
        if next_attempt_at > delivery.give_up_at:
            _give_up(delivery, error=error, now=now, last_status=outcome.status)
        else:
            rows.update(state=DeliveryState.PENDING, next_attempt_at=next_attempt_at, **common)
            if delay <= settings.WEBHOOK_QUEUE_RETRY_WITHIN_SECONDS:
                # After the commit: a worker quicker than it would find the delivery still `sending`.
                # Longer waits are left to the sweep.
                transaction.on_commit(partial(queue_delivery, delivery.pk, countdown=delay))


@transaction.atomic
def _give_up(delivery: WebhookDelivery, *, error: str, now: datetime, last_status: int | None = None) -> None:
    """Its retry window is over: the delivery fails, and so the endpoint is disabled; the ticket's next goes.

    In one transaction: a failed delivery whose endpoint stayed active would be final (the sweep looks again only at
    deliveries still `sending`). Telling the admins is only recorded here, not done (webhook_endpoint_disable)."""
    failed = WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).update(
        state=DeliveryState.FAILED, last_status=last_status, last_error=error[:500], claimed_at=None
    )
    if not failed:  # the sweep's guess was wrong: the worker finished it meanwhile
        return
    webhook_endpoint_disable(
        endpoint=delivery.endpoint,
        reason=f"Delivery {delivery.pk} failed {delivery.attempts} attempts in a row, retried for "
        f"{_hours(now - delivery.created_at)}; the last: {error}",
    )
    _queue_next_of_ticket(delivery)


def _give_up_failed(delivery: WebhookDelivery, now: datetime, error: Exception) -> None:
    """Giving up raised (and was rolled back): the delivery stays `sending`, given up again by a sweep once it
    looks stuck again, not by every sweep meanwhile, which would fill the log and keep it first in the batch."""
    logger.exception("webhook sweep could not give up delivery %s; tried again later", delivery.pk, exc_info=error)
    WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).update(claimed_at=now)


def _hours(span: timedelta) -> str:
    hours = max(span.total_seconds() / 3600, 0)
    return f"{hours:.0f} hours" if hours >= 2 else f"{hours * 60:.0f} minutes"


def _queue_next_of_ticket(delivery: WebhookDelivery) -> None:
    """The ticket's next delivery to this endpoint was waiting for this one: its turn now."""
    if delivery.ticket_id is None:
        return
    following = (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            ticket_id=delivery.ticket_id,
            event_id__gt=delivery.event_id,
            state=DeliveryState.PENDING,
        )
        .order_by("event_id")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        transaction.on_commit(partial(queue_delivery, following))


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, now: datetime | None = None) -> WebhookDelivery:
    """Send a delivery again (whatever became of it), with the same `webhook-id` and body and a fresh day of
    retries. Its endpoint must be active."""
    now = now or timezone.now()
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    if not delivery.endpoint.is_active:
        raise InvalidValue("This endpoint is disabled: enable it, then redeliver.")
    if delivery.state == DeliveryState.SENDING:
        raise InvalidValue("This delivery is being sent right now.")
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = now
    delivery.give_up_at = now + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS)
    delivery.claimed_at = None
    delivery.save(update_fields=["state", "next_attempt_at", "give_up_at", "claimed_at"])
    transaction.on_commit(partial(queue_delivery, delivery.pk))
    return delivery


def deliveries_redeliver(*, deliveries: Iterable[WebhookDelivery]) -> int:
    """The admin's bulk action: redeliver what can be; returns how many."""
    count = 0
    for delivery in deliveries:
        try:
            delivery_redeliver(delivery=delivery)
        except InvalidValue:
            continue
        count += 1
    return count


def webhooks_sweep(*, now: datetime | None = None) -> int:
    """Queue every delivery that is due and whose turn it is, and free those whose worker died mid-send.

    Retries further off than WEBHOOK_QUEUE_RETRY_WITHIN_SECONDS are sent only by this sweep; for the rest it is
    the safety net, so a worker that dies or a message that is lost loses nothing.
    """
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + settings.WEBHOOK_TIMEOUT_SECONDS)
    stuck = WebhookDelivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=stuck_before)
    # Past its window a delivery whose worker died is given up, as after any last failed attempt: pending again
    # it would be retried as long as the worker keeps dying (a receiver that always outlasts the time limit).
    for delivery in stuck.filter(give_up_at__lt=now).order_by("claimed_at").select_related("endpoint")[:SWEEP_BATCH]:
        try:
            _give_up(delivery, error="The worker stopped during the last attempt (killed, or its time limit).", now=now)
        except Exception as error:  # one delivery the sweep cannot give up must not hold back every one after it
            if row_at_fault(error):
                _give_up_failed(delivery, now, error)
    stuck.filter(give_up_at__gte=now).update(state=DeliveryState.PENDING, claimed_at=None, next_attempt_at=now)
    due = list(
        WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now, endpoint__is_active=True)
        .exclude(_earlier_unfinished())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for delivery_id in due:
        queue_delivery(delivery_id)
    return len(due)
