"""Metrics follow the events as they happen; the backfill and the beat task recompute the same rows."""

from __future__ import annotations

from django.core.management import call_command
from django.forms.models import model_to_dict

from reports.models import AgentDailyRollup, DailyRollup, TicketMetrics
from reports.services import rollups_refresh, ticket_metrics_update


def _rows(model) -> list[dict]:
    return sorted(
        (model_to_dict(row, exclude=["id", "computed_at"]) for row in model.objects.all()), key=lambda row: str(row)
    )


def test_a_tickets_metrics_are_kept_by_its_events(month) -> None:
    d = TicketMetrics.objects.get(ticket=month.tickets["D"])
    assert d.first_response_minutes == 60  # Friday 16:30 to Monday 09:30 in opening hours
    assert d.resolution_minutes == 600
    assert d.solved_by == month.dave
    assert d.channel == "email"
    b = TicketMetrics.objects.get(ticket=month.tickets["B"])
    assert (b.reopen_count, b.resolution_minutes, b.replies) == (1, 120, 1)
    f = TicketMetrics.objects.get(ticket=month.tickets["F"])
    assert (f.sla_breached, f.first_response_minutes, f.solved_at) == (True, None, None)  # from the sweep's event
    assert TicketMetrics.objects.get(ticket=month.tickets["A"]).csat_rating == "good"


def test_the_backfill_command_recomputes_the_rows_the_events_made(month) -> None:
    metrics, rollups, agent_rollups = _rows(TicketMetrics), _rows(DailyRollup), _rows(AgentDailyRollup)
    TicketMetrics.objects.all().delete()
    DailyRollup.objects.all().delete()

    call_command("reports_backfill", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert _rows(TicketMetrics) == metrics
    assert (_rows(DailyRollup), _rows(AgentDailyRollup)) == (rollups, agent_rollups)


def test_recomputing_twice_changes_nothing(month) -> None:
    metrics, rollups = _rows(TicketMetrics), _rows(DailyRollup)
    for ticket in month.tickets.values():
        ticket_metrics_update(ticket_id=ticket.pk)
    rollups_refresh()
    rollups_refresh()
    assert (_rows(TicketMetrics), _rows(DailyRollup)) == (metrics, rollups)
