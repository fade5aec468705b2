"""Who may do what with inbound mail."""

from __future__ import annotations

from accounts.permissions import AnyUser, can_manage_users, is_staff_member


def can_decide_held_mail(user: AnyUser) -> bool:
    """Accept or reject mail from an unverified sender on a ticket."""
    return is_staff_member(user)


def can_read_mail(user: AnyUser) -> bool:
    """Read a stored message in full (headers, text, sanitised HTML)."""
    return is_staff_member(user)


def can_manage_inbound_mail(user: AnyUser) -> bool:
    """Mailboxes, and reprocessing or discarding quarantined mail: admins."""
    return can_manage_users(user)
