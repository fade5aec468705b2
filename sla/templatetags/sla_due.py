from __future__ import annotations

from typing import Any

from django import template

from sla.display import next_due
from tickets.models import Ticket

register = template.Library()


@register.inclusion_tag("sla/includes/due.html")
def sla_due(ticket: Ticket, *, long: bool = False) -> dict[str, Any]:
    """The ticket's next promise. Reads `running_sla_clocks` (sla.selectors.running_clocks_prefetch)."""
    clocks = getattr(ticket, "running_sla_clocks", None)
    if clocks is None:
        clocks = list(ticket.sla_clocks.running().select_related("calendar"))
    return {"due": next_due(clocks), "long": long}
