"""The inbound app's background work: process stored mail (with a time limit), read a mail staff ask to read, poll
mailboxes, sweep up strays.

Each task is idempotent: a message already decided, or a mailbox polled by someone else, is left alone.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from events.services import send_to_worker
from helpdesk.errors import StorageUnavailable
from helpdesk.stored_files import stored_files_swept
from inbound import mailboxes, services


@shared_task(
    name="inbound.process_message",
    acks_late=True,
    soft_time_limit=settings.INBOUND_PROCESS_SECONDS,
    time_limit=settings.INBOUND_PROCESS_SECONDS + 30,
)
def inbound_process_message(message_id: int) -> None:
    if not services.inbound_claim(message_id=message_id):
        return
    try:
        with stored_files_swept():  # attachments written before a time limit rolled the processing back
            services.inbound_process(message_id=message_id)
    except StorageUnavailable:
        # The file store did not take the mail's attachments: not the mail's fault, nor its worker's. It stays
        # received, this attempt is not counted, and the sweep queues it again until the store answers.
        services.inbound_claim_returned(message_id=message_id)
        raise
    except (OperationalError, InterfaceError):
        # The database went away or chose this transaction as a deadlock's victim: not the mail's fault. It stays
        # received, and the sweep queues it again (up to INBOUND_MAX_ATTEMPTS).
        raise
    except Exception as error:  # SoftTimeLimitExceeded included: quarantined with its reason, the others go on
        services.inbound_fail(message_id=message_id, error=error)


@shared_task(
    name="inbound.read_message",
    acks_late=True,
    soft_time_limit=settings.INBOUND_PROCESS_SECONDS,
    time_limit=settings.INBOUND_PROCESS_SECONDS + 30,
)
def inbound_read_message(message_id: int) -> None:
    """Read a mail staff asked to read that the worker kept no reading of, under processing's time limits. A mail
    that outlasts them stays unread: the page says so."""
    services.inbound_read(message_id=message_id)


@shared_task(name="inbound.sweep")
def inbound_sweep() -> None:
    """Queue stored mail whose processing was never queued or was lost; give up on mail that keeps killing its
    worker (quarantined, for an admin)."""
    for message_id in services.inbound_stale_ids():
        send_to_worker(inbound_process_message, message_id)


@shared_task(name="inbound.poll_due_mailboxes")
def inbound_poll_due_mailboxes() -> None:
    for mailbox_id in mailboxes.mailboxes_due():
        send_to_worker(inbound_poll_mailbox, mailbox_id)


@shared_task(name="inbound.poll_mailbox", acks_late=True)
def inbound_poll_mailbox(mailbox_id: int) -> None:
    mailboxes.mailbox_poll(mailbox_id=mailbox_id)
