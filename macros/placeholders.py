"""A macro's placeholders: a fixed list of names replaced by plain values, never template execution.

`{{ requester.name }}` is replaced by text; anything else between braces is left as typed (and refused when a
macro is saved), so a macro can neither read other attributes nor run code.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from accounts.models import User
from tickets.models import Priority, Status, Ticket

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")
ANY_BRACES = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def _first_name(user: User) -> str:
    return user.display_name.split()[0] if user.display_name.split() else user.display_name


VALUES: dict[str, Callable[[Ticket, User], object]] = {
    "requester.name": lambda ticket, agent: ticket.requester.display_name,
    "requester.first_name": lambda ticket, agent: _first_name(ticket.requester),
    "requester.email": lambda ticket, agent: ticket.requester.email,
    "ticket.id": lambda ticket, agent: ticket.pk,
    "ticket.subject": lambda ticket, agent: ticket.subject,
    "ticket.status": lambda ticket, agent: Status(ticket.status).label.lower(),
    "ticket.priority": lambda ticket, agent: Priority(ticket.priority).label,
    "agent.name": lambda ticket, agent: agent.display_name,
    "agent.first_name": lambda ticket, agent: _first_name(agent),
    "agent.email": lambda ticket, agent: agent.email,
}


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in ANY_BRACES.findall(text) if name not in VALUES})


def render_placeholders(text: str, *, ticket: Ticket, agent: User) -> str:
    def replace(match: re.Match[str]) -> str:
        value = VALUES.get(match.group(1))
        return match.group(0) if value is None else str(value(ticket, agent))

    return PLACEHOLDER.sub(replace, text)
