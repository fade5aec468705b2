"""Links between tickets: related, duplicate of, parent/child. One link per pair, recorded on both timelines."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet

from accounts.models import User
from helpdesk.errors import InvalidValue, NotPermitted
from tickets import permissions
from tickets.models import Ticket, TicketEventKind, TicketLink, TicketLinkKind
from tickets.services.audit import record_event

# What an agent chooses on a ticket, from that ticket's side: stored as (kind, swapped).
LINK_CHOICES: dict[str, tuple[str, bool]] = {
    "related": (TicketLinkKind.RELATED, False),
    "duplicate_of": (TicketLinkKind.DUPLICATE_OF, False),
    "duplicated_by": (TicketLinkKind.DUPLICATE_OF, True),
    "child_of": (TicketLinkKind.CHILD_OF, False),
    "parent_of": (TicketLinkKind.CHILD_OF, True),
}
LINK_LABELS = {
    "related": "Related to",
    "duplicate_of": "Duplicate of",
    "duplicated_by": "Duplicated by",
    "child_of": "Child of",
    "parent_of": "Parent of",
}


@dataclass(frozen=True)
class LinkView:
    """A link as seen from one ticket: what the other ticket is to it."""

    link: TicketLink
    relation: str
    other: Ticket

    @property
    def label(self) -> str:
        return LINK_LABELS[self.relation]


def relation_from(link: TicketLink, ticket: Ticket) -> tuple[str, Ticket]:
    relation = relation_of(kind=link.kind, from_ticket_id=link.from_ticket_id, ticket_id=ticket.pk)
    return relation, link.to_ticket if link.from_ticket_id == ticket.pk else link.from_ticket


def relation_of(*, kind: str, from_ticket_id: int, ticket_id: int) -> str:
    """What the other ticket of a link of `kind` is to ticket `ticket_id` (a LINK_LABELS key)."""
    if from_ticket_id == ticket_id:
        return kind
    inverse = {TicketLinkKind.RELATED: "related", TicketLinkKind.DUPLICATE_OF: "duplicated_by"}
    return inverse.get(kind, "parent_of")


def links_touching(ticket: Ticket) -> QuerySet[TicketLink]:
    return TicketLink.objects.filter(Q(from_ticket=ticket) | Q(to_ticket=ticket)).select_related(
        "from_ticket", "to_ticket"
    )


@transaction.atomic
def ticket_link(*, ticket: Ticket, other: Ticket, relation: str, actor: User) -> TicketLink:
    if not permissions.can_triage_ticket(actor):
        raise NotPermitted("Only agents and admins may link tickets.")
    if relation not in LINK_CHOICES:
        raise InvalidValue("Unknown link kind.", details={"kind": [f"Choose one of: {', '.join(LINK_CHOICES)}."]})
    if other.pk == ticket.pk:
        raise InvalidValue("A ticket cannot be linked to itself.", details={"ticket": ["Choose another ticket."]})
    pair = Q(from_ticket=ticket, to_ticket=other) | Q(from_ticket=other, to_ticket=ticket)
    # Lock the pair's rows in id order, so two agents linking the same pair at once make one link.
    list(Ticket.objects.select_for_update().filter(pk__in=[ticket.pk, other.pk]).order_by("pk"))
    if TicketLink.objects.filter(pair).exists():
        raise InvalidValue(
            f"#{ticket.pk} and #{other.pk} are already linked: remove that link first.",
            details={"ticket": ["Already linked."]},
        )
    kind, swapped = LINK_CHOICES[relation]
    from_ticket, to_ticket = (other, ticket) if swapped else (ticket, other)
    link = TicketLink.objects.create(from_ticket=from_ticket, to_ticket=to_ticket, kind=kind, created_by=actor)
    _record(link, actor=actor, kind=TicketEventKind.LINKED)
    return link


@transaction.atomic
def ticket_unlink(*, link: TicketLink, actor: User) -> None:
    if not permissions.can_triage_ticket(actor):
        raise NotPermitted("Only agents and admins may unlink tickets.")
    _record(link, actor=actor, kind=TicketEventKind.UNLINKED)
    link.delete()


def _record(link: TicketLink, *, actor: User, kind: str) -> None:
    payload = {"link_id": link.pk, "from_id": link.from_ticket_id, "to_id": link.to_ticket_id, "kind": link.kind}
    for ticket in (link.from_ticket, link.to_ticket):
        relation, other = relation_from(link, ticket)
        record_event(
            ticket=ticket,
            actor=actor,
            kind=kind,
            field="link",
            new=f"{LINK_LABELS[relation]} #{other.pk}",
            payload=payload,
        )
