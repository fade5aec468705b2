"""The helpdesk app's housekeeping, run by beat."""

from __future__ import annotations

from celery import shared_task

from helpdesk.idempotency import idempotency_keys_purge


@shared_task(name="helpdesk.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete Idempotency-Key records past IDEMPOTENCY_KEY_TTL_HOURS (as `manage.py purge_idempotency_keys`)."""
    return idempotency_keys_purge()
