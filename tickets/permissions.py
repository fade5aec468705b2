"""Who may see or change what. HTML views, the API and the admin all ask these questions."""

from __future__ import annotations

from accounts.permissions import AnyUser, is_staff_member
from accounts.verification import address_proven
from tickets.models import Comment, Ticket

__all__ = ["AnyUser", "is_staff_member"]  # role questions live in accounts.permissions; tickets asks them too

# Fields of a ticket only staff may change (a requester sending them is refused)...
TRIAGE_FIELDS = ("status", "priority", "assignee", "team", "category", "tags")
# ...and those only staff may set when opening one (a requester picks the category).
STAFF_ONLY_CREATE_FIELDS = (
    "status",
    "priority",
    "assignee",
    "team",
    "tags",
    "requester",
    "requester_email",
    "requester_name",
)


def can_read_tickets_filed_under_own_address(user: AnyUser) -> bool:
    """Nobody reads a ticket filed under an address they have not proven they own: anyone can sign up with, or type
    into a public form, someone else's address (accounts/verification.py)."""
    return bool(user.is_authenticated and address_proven(user))


def can_view_ticket(user: AnyUser, ticket: Ticket) -> bool:
    if is_staff_member(user):
        return True
    return ticket.requester_id == user.pk and can_read_tickets_filed_under_own_address(user)


def can_triage_ticket(user: AnyUser) -> bool:
    """Change status, priority, assignee, team, category and tags."""
    return is_staff_member(user)


def can_reopen_closed_ticket(user: AnyUser) -> bool:
    return is_staff_member(user)


def can_write_internal_note(user: AnyUser) -> bool:
    return is_staff_member(user)


def can_see_internal(user: AnyUser) -> bool:
    """Internal notes and staff-only events."""
    return is_staff_member(user)


def can_see_sla_clocks(user: AnyUser) -> bool:
    """A ticket's SLA clocks: its `sla` in the API, and so its ETag, and the `sla` filter."""
    return is_staff_member(user)


def can_view_comment(user: AnyUser, comment: Comment) -> bool:
    if comment.internal and not can_see_internal(user):
        return False
    return can_view_ticket(user, comment.ticket)


def can_list_teams(user: AnyUser) -> bool:
    return is_staff_member(user)
