"""Staff opening a ticket for someone (a phone call, a walk-in): an existing requester, or a new one by address."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.models import User, normalize_email_address
from accounts.selectors import accounts_at_address, requester_address_refusal
from accounts.services import EmailTaken, user_create
from helpdesk.errors import InvalidValue, NotPermitted
from tickets import permissions
from tickets.models import Category, Channel, Priority, Team, Ticket
from tickets.services.creation import ticket_create


@transaction.atomic
def requester_find_or_create(*, actor: User, email: str, name: str = "") -> tuple[User, bool]:
    """The account with this address, or a new requester account (no password, address not yet confirmed: the
    agent typed it). Returns (user, created). A deactivated account's address is refused."""
    if not permissions.can_triage_ticket(actor):
        raise NotPermitted("Only agents and admins may open tickets for others.")
    address = normalize_email_address(email)
    try:
        validate_email(address)
    except ValidationError as error:
        raise InvalidValue(
            "Invalid email address.", details={"requester_email": ["Enter a valid email address."]}
        ) from error
    refusal = requester_address_refusal(address)
    if refusal:
        raise InvalidValue(refusal, details={"requester_email": [refusal]})
    existing = next(iter(accounts_at_address(address)), None)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return user_create(email=address, name=name.strip()[:150], email_verified=False), True
    except (EmailTaken, IntegrityError):
        return accounts_at_address(address)[0], False


@transaction.atomic
def ticket_open_on_behalf(
    *,
    actor: User,
    requester: User,
    subject: str,
    description: str = "",
    category: Category | None = None,
    priority: int = Priority.NORMAL,
    assignee: User | None = None,
    team: Team | None = None,
    tags: Sequence[str] = (),
    files: Sequence[UploadedFile] = (),
) -> Ticket:
    if not permissions.can_triage_ticket(actor):
        raise NotPermitted("Only agents and admins may open tickets for others.")
    return ticket_create(
        requester=requester,
        actor=actor,
        subject=subject,
        description=description,
        category=category,
        priority=priority,
        assignee=assignee,
        team=team,
        tags=tags,
        files=files,
        channel=Channel.STAFF,
    )
