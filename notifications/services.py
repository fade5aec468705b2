"""Every write of the notifications app: deciding who hears of an event, queueing a mail, sending it, retrying it.

Where does a mail start? `notification_queue`, called in the caller's transaction by `notifications_for_event`
(the rules below) and by the other apps' `notifications.py` (forms, SLA, CSAT, automations). After commit the
worker sends it (`notifications.tasks.notification_send`); the sweep re-queues what a crash left behind.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, normalize_email_address, with_this_address
from events.models import Event, EventKind
from events.services import retry_delay, send_to_worker
from helpdesk.availability import row_at_fault
from helpdesk.time_zones import in_zone_of
from inbound.models import InboundMessage, InboundStatus
from notifications import mail_ids
from notifications.models import Notification, NotificationKind, NotificationStatus
from notifications.preferences import STAFF_KINDS, wants
from tickets.models import Comment, Status, Ticket
from tickets.permissions import can_view_ticket

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
ERROR_MAX_CHARS = 4000
REFERENCES_MAX = 20  # the newest earlier mails of the thread a References header names
PENDING = (NotificationStatus.QUEUED, NotificationStatus.SENDING)
WRITTEN_BY_A_PERSON = frozenset({NotificationKind.PUBLIC_REPLY})


def ticket_url(ticket: Ticket, *, staff: bool) -> str:
    """The ticket's page for the recipient, from SITE_URL (the address people reach the site at)."""
    return settings.SITE_URL + reverse("staff_ticket_detail" if staff else "ticket_detail", args=[ticket.pk])


def notification_queue(
    *,
    kind: NotificationKind,
    key: str,
    ticket: Ticket | None,
    recipient: User | None = None,
    address: str = "",
    event_id: int | None = None,
    context: dict[str, Any] | None = None,
    subject: str | None = None,
) -> Notification | None:
    """Render the mail and record it; the worker sends it once the caller's transaction commits.

    One mail per `key` (its cause), kind and address: calling again (an event delivered twice) queues nothing.
    None when nobody is to be mailed: no address, an inactive account, or a kind the user turned off.
    `subject` overrides the kind's subject template (an automation rule's own subject).
    """
    address = (address or (recipient.email if recipient is not None else "")).strip()
    if not address:
        return None
    if recipient is not None and (not recipient.is_active or not wants(recipient, kind)):
        return None
    if _already_queued(key=key, kind=kind, address=address):
        return None
    staff = recipient is not None and recipient.is_agent_or_admin and kind != NotificationKind.CSAT_SURVEY
    context = {
        "ticket": ticket,
        "recipient": recipient,
        "url": ticket_url(ticket, staff=staff) if ticket is not None else settings.SITE_URL,
        "site_url": settings.SITE_URL,
        **(context or {}),
    }
    # Told in the recipient's zone (the site's for an address without an account), whoever's request or worker this is.
    with in_zone_of(recipient):
        if subject is None:
            subject = render_to_string(f"emails/{kind}_subject.txt", context)
        body_text = render_to_string(f"emails/{kind}.txt", context)
        body_html = render_to_string(f"emails/{kind}.html", context)
    subject = " ".join(subject.split())
    if ticket is not None and mail_ids.subject_tag(ticket.pk) not in subject:
        subject = f"{mail_ids.subject_tag(ticket.pk)} {subject}"
    message_id = mail_ids.message_id(ticket_id=ticket.pk) if ticket is not None else _unticketed_message_id()
    try:
        with transaction.atomic():  # a savepoint: a twin created meanwhile leaves the caller's transaction usable
            notification = Notification.objects.create(
                kind=kind,
                key=key[:100],
                recipient=recipient,
                address=address,
                ticket=ticket,
                event_id=event_id,
                subject=subject[:300],
                body_text=body_text,
                body_html=body_html,
                message_id=message_id,
            )
    except IntegrityError:
        return None
    transaction.on_commit(partial(_hand_over, notification.pk))
    return notification


def _unticketed_message_id() -> str:
    from django.core.mail import make_msgid

    return make_msgid(domain=settings.MAIL_DOMAIN)


def _hand_over(notification_id: int) -> None:
    from notifications.tasks import notification_send  # the tasks module imports this one

    send_to_worker(notification_send, notification_id)


def _already_queued(*, key: str, kind: NotificationKind, address: str) -> bool:
    """Whether this cause's mail of this kind went to this very address, not to a lookalike's: a follower there,
    someone else's account, must not take the requester's mail (accounts.models.with_this_address)."""
    found = Notification.objects.filter(key=key, kind=kind, address__iexact=address).only("address")
    return bool(with_this_address(found, address, field="address"))


# --- Who hears of what ------------------------------------------------------------------------------------------


def notifications_for_event(*, event: Event) -> list[Notification]:
    """Decide who is mailed about an event and queue their mails. Safe to repeat (see notification_queue).

    Requester: the confirmation of a new ticket, public replies from staff (followers too), the ticket resolved.
    Assignee: assigned to them, the requester replied. Team: a new ticket nobody is assigned to.
    Nobody hears of their own action (but a new ticket's requester gets its confirmation), never an internal note
    reaches a requester, and only an address the ticket proved (signed in) gets a confirmation it did not ask for.
    """
    if event.quiet:
        return []
    ticket = Ticket.objects.select_related("requester", "assignee", "team").filter(pk=event.ticket_id).first()
    if ticket is None:
        return []
    key = f"event:{event.pk}"
    queued: list[Notification | None] = []

    def queue(kind: NotificationKind, recipient: User | None, **context: Any) -> None:
        if recipient is None or (recipient.pk == event.actor_id and kind != NotificationKind.TICKET_CREATED):
            return
        queued.append(
            notification_queue(
                kind=kind,
                key=key,
                ticket=ticket,
                recipient=recipient,
                event_id=event.pk,
                context={"event": event, **context},
            )
        )

    payload = event.payload
    if event.kind == EventKind.TICKET_CREATED:
        if ticket.sender_verified:
            queue(NotificationKind.TICKET_CREATED, ticket.requester)
        if ticket.assignee is not None:  # filed straight to an agent: their assignment mail
            if _still_staff(ticket.assignee):
                queue(NotificationKind.ASSIGNED, ticket.assignee, actor=event.actor)
        elif ticket.team is not None:
            for member in User.objects.staff_of(ticket.team):
                queue(NotificationKind.TEAM_NEW_TICKET, member)
    elif event.kind == EventKind.COMMENT_ADDED:
        if _tells_requester(payload) and not payload.get("internal") and not event.internal:
            comment = Comment.objects.select_related("author").filter(pk=payload.get("comment_id")).first()
            if comment is not None and not comment.internal:
                # Followers (Cc'd on the requester's first mail, or added by staff) get public replies too.
                for recipient in [ticket.requester, *ticket.followers.exclude(pk=ticket.requester_id).order_by("pk")]:
                    link = _page_link_for(recipient, ticket)
                    queue(NotificationKind.PUBLIC_REPLY, recipient, comment=comment, **link)
    elif event.kind == EventKind.REQUESTER_REPLIED:
        comment = Comment.objects.select_related("author").filter(pk=payload.get("comment_id")).first()
        # Only staff hear of a requester's reply: an assignee who is no longer an agent is no one to tell.
        if (
            comment is not None
            and not comment.internal
            and ticket.assignee is not None
            and ticket.assignee.is_agent_or_admin
        ):
            queue(NotificationKind.REQUESTER_REPLIED, ticket.assignee, comment=comment)
    elif event.kind == EventKind.STATUS_CHANGED:
        if payload.get("new") == Status.RESOLVED and ticket.status == Status.RESOLVED:
            queue(NotificationKind.RESOLVED, ticket.requester)
    elif event.kind == EventKind.ASSIGNEE_CHANGED:
        assignee = User.objects.filter(pk=payload.get("new")).first() if payload.get("new") else None
        if _still_staff(assignee):
            queue(NotificationKind.ASSIGNED, assignee, actor=event.actor)
    return [notification for notification in queued if notification is not None]


def _tells_requester(payload: dict[str, Any]) -> bool:
    """A comment the requester is mailed: staff's answer, or the system's notice (a merge's), which answers nothing
    (no first response, no "agent replied" rule) but is written for the requester to read all the same."""
    return bool(payload.get("answers_requester") or payload.get("notice"))


def _page_link_for(recipient: User, ticket: Ticket) -> dict[str, str]:
    """The mail's link to the ticket's page, left out for a follower who may not open it (Cc'd on the first mail, or
    the requester of a ticket merged into this one): it would be a "not found" page. They answer by replying to the
    mail. The requester keeps theirs, even before proving the address: signing in is how they come to see it."""
    if recipient.pk == ticket.requester_id or can_view_ticket(recipient, ticket):
        return {}
    return {"url": ""}


def _still_staff(assignee: User | None) -> bool:
    """Whether an assignee is still told of the assignment. The mail is decided after the change committed (seconds,
    or hours when the worker was down): an agent made a requester meanwhile must not be sent someone else's ticket."""
    return assignee is not None and assignee.is_agent_or_admin


# --- The worker's part: send, retry, give up, sweep ---------------------------------------------------------------


def notification_claim(*, notification_id: int, now: datetime | None = None) -> Notification | None:
    """Take a queued mail for this delivery, or None when it was sent, given up, or another worker has it.

    A mail left `sending` past the task time limit is taken again: its worker died mid-send."""
    now = now or timezone.now()
    stuck = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimed = (
        Notification.objects.filter(pk=notification_id)
        .filter(Q(status=NotificationStatus.QUEUED) | Q(status=NotificationStatus.SENDING, started_at__lt=stuck))
        .update(status=NotificationStatus.SENDING, started_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return Notification.objects.get(pk=notification_id)


# Mail only admins get (the endpoint's URL, often with a token in it, and an admin-only link).
ADMIN_KINDS = frozenset({NotificationKind.WEBHOOK_DISABLED})


def notification_withdraw_if_unwanted(*, notification: Notification) -> bool:
    """Give up a claimed mail whose recipient is no one to send it to any more: the account was deactivated, or (for
    mail about staff work) is no longer staff, or (for admins' mail) no longer an admin. A mail waits for hours when
    the mail server is down; what was true when it was queued may not be when it goes out. The mail log says why
    (`failed`, for an admin to see)."""
    recipient = User.objects.filter(pk=notification.recipient_id).first() if notification.recipient_id else None
    if recipient is None:
        return False
    if not recipient.is_active:
        reason = "Not sent: the recipient's account was deactivated before it went out."
    elif notification.kind in STAFF_KINDS and not recipient.is_agent_or_admin:
        reason = "Not sent: the recipient was no longer an agent or admin when it went out."
    elif notification.kind in ADMIN_KINDS and not recipient.is_superuser:
        reason = "Not sent: the recipient was no longer an admin when it went out."
    else:
        return False
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(
        status=NotificationStatus.FAILED, last_error=reason
    )
    return True


def _thread_so_far(notification: Notification) -> list[str]:
    """The Message-IDs of the ticket's earlier mails between us and this address, newest first: ours to them and
    theirs to us, so the first answer to a ticket opened by mail goes under the mail that opened it."""
    # By lower(), never iexact, which on PostgreSQL takes a lookalike's address (a dotless i) for this one; the few
    # lower() still confuses (a Kelvin sign) are left out by with_this_address.
    earlier = (
        Notification.objects.annotate(lower_address=Lower("address"))
        .filter(
            ticket_id=notification.ticket_id,
            lower_address=normalize_email_address(notification.address),
            pk__lt=notification.pk,
        )
        .order_by("-pk")
        .only("created_at", "message_id", "address")[:REFERENCES_MAX]
    )
    ours = [
        (row.created_at, row.message_id) for row in with_this_address(earlier, notification.address, field="address")
    ]
    theirs = (
        InboundMessage.objects.filter(
            ticket_id=notification.ticket_id,
            from_address=notification.address.lower(),
            status=InboundStatus.PROCESSED,
            received_at__lte=notification.created_at,
        )
        .exclude(message_id="")
        .order_by("-received_at", "-id")
        .values_list("received_at", "message_id_as_sent", "message_id")[:REFERENCES_MAX]
    )
    # Mail stored before its Message-ID was kept as sent has only the lower-cased one.
    thread = [*ours, *((received_at, as_sent or stored) for received_at, as_sent, stored in theirs)]
    return [message_id for _, message_id in sorted(thread, reverse=True)[:REFERENCES_MAX]]


def notification_email(notification: Notification) -> EmailMultiAlternatives:
    """The mail as it goes out: threaded with the ticket's earlier mails between us and the same address."""
    headers = {"Message-ID": notification.message_id}
    if notification.kind not in WRITTEN_BY_A_PERSON:
        # RFC 3834: no out-of-office answers to us (X-Auto-Response-Suppress: the same, for Exchange). Not on a reply
        # an agent wrote: a helpdesk at the requester's end (this one, too) would drop it as an automatic answer.
        headers |= {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
    reply_to: list[str] = []
    if notification.ticket_id is not None:
        earlier = _thread_so_far(notification)
        if earlier:
            headers["In-Reply-To"] = earlier[0]
            headers["References"] = " ".join(reversed(earlier))
        reply_to = [mail_ids.reply_address(ticket_id=notification.ticket_id, recipient_id=notification.recipient_id)]
    email = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.address],
        reply_to=reply_to,
        headers=headers,
    )
    if notification.body_html:
        email.attach_alternative(notification.body_html, "text/html")
    return email


def notification_deliver(*, notification: Notification) -> None:
    notification_email(notification).send(fail_silently=False)


def notification_sent(*, notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(
        status=NotificationStatus.SENT, sent_at=timezone.now(), last_error=""
    )


def notification_failed(*, notification: Notification, error: BaseException) -> float | None:
    """Record a failed attempt. Returns the delay before the next one, or None once the mail is given up."""
    now = timezone.now()
    message = "".join(traceback.format_exception(error))[-ERROR_MAX_CHARS:]
    mine = Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING)
    if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        mine.update(status=NotificationStatus.FAILED, last_error=message)
        return None
    delay = retry_delay(notification.attempts)
    mine.update(status=NotificationStatus.QUEUED, next_attempt_at=now + timedelta(seconds=delay), last_error=message)
    return delay


@transaction.atomic
def notifications_resend(*, notifications: Iterable[Notification]) -> int:
    """An admin's resend of failed or bounced mails: queued again with a fresh count of attempts."""
    ids = [n.pk for n in notifications if n.status in (NotificationStatus.FAILED, NotificationStatus.BOUNCED)]
    Notification.objects.filter(pk__in=ids).update(
        status=NotificationStatus.QUEUED, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
    for notification_id in ids:
        transaction.on_commit(partial(_hand_over, notification_id))
    return len(ids)


def notifications_sweep(*, now: datetime | None = None) -> int:
    """Re-send mails a lost message left behind: queued long past their time, or `sending` past the time limit.

    "Long" is EVENT_REDELIVER_AFTER_SECONDS, so a merely busy queue is not flooded with copies. The backlog is read
    SWEEP_BATCH rows at a time in id order (a short query each, memory bounded however many were lost), each row
    once. A row that raises is logged and set aside for the next run, and the others go on; a database outage or the
    task's time limit stops the run (helpdesk.availability.row_at_fault), and the next goes on from there."""
    now = now or timezone.now()
    overdue = now - timedelta(seconds=settings.EVENT_REDELIVER_AFTER_SECONDS)
    stuck = overdue - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    lost = Q(status=NotificationStatus.QUEUED, next_attempt_at__lt=overdue) | Q(
        status=NotificationStatus.SENDING, started_at__lt=stuck
    )
    resent = 0
    last_id = 0
    while True:
        ids = list(
            Notification.objects.filter(lost, pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        resent += sum(_resend_if_lost(notification_id, lost=lost, now=now) for notification_id in ids)
        if len(ids) < SWEEP_BATCH:
            break
        last_id = ids[-1]
    if resent:
        logger.info("notifications sweep re-sent %d mails", resent)
    return resent


def _resend_if_lost(notification_id: int, *, lost: Q, now: datetime) -> bool:
    try:
        # Due again from now: re-sent at most once per EVENT_REDELIVER_AFTER_SECONDS.
        if not Notification.objects.filter(lost, pk=notification_id).update(
            status=NotificationStatus.QUEUED, next_attempt_at=now
        ):
            return False
        _hand_over(notification_id)
    except Exception as error:  # one mail the sweep cannot re-send must not hold back every one after it
        if row_at_fault(error):
            logger.exception("notifications sweep could not re-send notification %s; tried later", notification_id)
        return False
    return True


def notifications_bounced(*, event: Event) -> int:
    """A `mail.bounced` event: the mails it returns are marked bounced (by Message-ID, else by address)."""
    payload = event.payload
    message_ids = [value.strip() for value in payload.get("message_ids", []) if isinstance(value, str)]
    wrapped = {f"<{value.strip('<>')}>" for value in message_ids}
    bounced = Notification.objects.filter(message_id__in=wrapped)
    if not message_ids and event.ticket_id is not None:
        addresses = [value for value in payload.get("addresses", []) if isinstance(value, str)]
        latest = (
            Notification.objects.filter(
                ticket_id=event.ticket_id, address__in=addresses, status=NotificationStatus.SENT
            )
            .order_by("-pk")
            .values_list("pk", flat=True)[:1]
        )
        bounced = Notification.objects.filter(pk__in=list(latest))
    return bounced.exclude(status=NotificationStatus.BOUNCED).update(status=NotificationStatus.BOUNCED)


@transaction.atomic
def notification_preferences_set(*, user: User, choices: dict[str, bool]) -> None:
    """Save the user's choice for each kind they may choose (see notifications.preferences)."""
    from notifications.models import NotificationPreference
    from notifications.preferences import kinds_for

    for kind in kinds_for(user):
        if kind in choices:
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"enabled": bool(choices[kind])}
            )
