"""The SLA app's background work: the periodic sweep, and the escalation notices its events owe."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from events.models import Event
from events.runner import event_handler
from sla import services
from sla.models import EscalationKind


@shared_task(name="sla.sweep")
def sla_sweep() -> None:
    services.sla_sweep()


@shared_task(name="sla.refresh_open_tickets", acks_late=True, reject_on_worker_lost=True)
def sla_refresh_open_tickets(reported_at: str | None = None) -> None:
    """`reported_at`: when the run that queued this one last reported (none for a run queued by a request or the
    sweep, or by a version before it was sent)."""
    services.sla_refresh_requests_serve(reported_at=datetime.fromisoformat(reported_at) if reported_at else None)


@event_handler
def escalate_warning(event: Event) -> None:
    services.escalation_notice_create(clock_id=event.payload["clock_id"], kind=EscalationKind.WARNING)
    services.sla_notices_send()


@event_handler
def escalate_breach(event: Event) -> None:
    services.escalation_notice_create(clock_id=event.payload["clock_id"], kind=EscalationKind.BREACHED)
    services.sla_notices_send()


@event_handler
def tag_renamed_clocks_refresh(event: Event) -> None:
    """A policy's conditions may name a tag by its old or new name: re-apply the policies to the open tickets, as
    after an admin changed a policy (through a request, so the refresh is bounded per run and outlives a lost
    message)."""
    services.sla_open_tickets_refresh_request()
