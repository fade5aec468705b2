"""The tickets app's housekeeping, run by beat."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from tickets import services


@shared_task(name="tickets.delete_orphaned_files")
def attachments_orphaned_delete() -> int:
    """Delete attachment files a killed request or task left without their row (idempotent: what is gone is gone)."""
    return services.attachments_orphaned_delete(older_than=timedelta(seconds=settings.ATTACHMENT_ORPHAN_GRACE_SECONDS))
