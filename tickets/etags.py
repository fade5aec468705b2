"""A ticket's ETag: the version a client read, checked again under the row lock before an edit is applied."""

from __future__ import annotations

from csat.selectors import latest_survey
from csat.serializers import SatisfactionSerializer
from helpdesk.conditional import strong_etag
from sla.serializers import SlaClockSerializer
from tickets.models import Ticket


def ticket_etag(ticket: Ticket, *, with_sla_clocks: bool = True) -> str:
    """Hash every stored column, the tag names, the running SLA clocks and the latest satisfaction survey: the API
    representation is built from nothing else.

    `with_sla_clocks=False` for a reader who is not shown the clocks (a requester's `sla` is null): their tag must not
    change when only the clocks did, or a 200 with the same body tells them staff's clocks moved.

    updated_at alone would miss changes no service makes, such as a team deleted under the ticket (SET_NULL), a
    rating (saved on the survey) or clocks re-timed after an admin changed a policy: the ticket's row stays as it was.
    A clock running out is not a change (CLOCK_FIELDS).
    """
    columns = [(field.attname, getattr(ticket, field.attname)) for field in Ticket._meta.concrete_fields]
    tags = sorted(tag.name for tag in ticket.tags.all())
    clocks = _running_clock_columns(ticket) if with_sla_clocks else None
    return strong_etag([columns, tags, clocks, _survey_columns(ticket)])


# What the representation shows of each running clock that a person changes (a policy, a priority, a reply), not
# what time alone does: `breached` turns true at `due_at` with no write, and the sweep only records it in
# `breached_at`; an agent's edit must not conflict with the clock running out.
CLOCK_FIELDS = tuple(name for name in SlaClockSerializer.Meta.fields if name not in ("breached", "breached_at"))


def _running_clock_columns(ticket: Ticket) -> list[list[object]]:
    clocks = getattr(ticket, "running_sla_clocks", None)  # sla.selectors.running_clocks_prefetch
    if clocks is None:
        clocks = ticket.sla_clocks.running()
    return sorted(([clock.serializable_value(name) for name in CLOCK_FIELDS] for clock in clocks), key=str)


def _survey_columns(ticket: Ticket) -> list[object] | None:
    survey = latest_survey(ticket)
    if survey is None:
        return None
    return [survey.serializable_value(name) for name in SatisfactionSerializer.Meta.fields]
