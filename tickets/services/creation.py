"""Opening a ticket."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.models import User
from accounts.selectors import ADDRESS_RESERVED, address_reserved
from accounts.services import account_lock
from helpdesk.errors import InvalidValue, NotPermitted
from sla.services import sla_clocks_update
from tickets import permissions
from tickets.markdown import render_markdown
from tickets.models import Category, Channel, Priority, Team, Ticket, TicketEventKind
from tickets.services.attachments import attachments_save, validate_files
from tickets.services.audit import record_event
from tickets.services.common import ensure_named_rows_remain, staff_only, validate_assignee
from tickets.services.tags import normalize_tag_names, tags_from_names

REQUESTER_INACTIVE = "This account is deactivated."


@transaction.atomic
def ticket_create(
    *,
    requester: User,
    subject: str,
    description: str = "",
    category: Category | None = None,
    priority: int = Priority.NORMAL,
    actor: User | None = None,
    team: Team | None = None,
    assignee: User | None = None,
    tags: Sequence[str] = (),
    files: Sequence[UploadedFile] = (),
    intake_priority: int | None = None,
    intake_team: Team | None = None,
    followers: Sequence[User] = (),
    channel: str = Channel.WEB,
    sender_verified: bool = True,
) -> Ticket:
    """Open a ticket for `requester`. `actor` is who did it (an agent opening one on someone's behalf).

    `intake_priority` is set only by an admin-defined intake form (forms_builder), and `intake_team` only by an
    admin-configured mailbox (inbound): they are the admin's choice, not the requester's, so they are not staff-only
    fields like `priority` and `team`. `followers` receive the public replies too (people Cc'd on an email).

    `sender_verified=False` files a ticket from someone who did not sign in (a public form's guest, an email
    sender): the requester is whoever owns the address they typed, which may not be them. The ticket carries the
    mark, and staff pages show it, so replies never disclose that account's details to a stranger."""
    actor = actor or requester
    staff_fields = {"priority": priority != Priority.NORMAL, "team": team, "assignee": assignee, "tags": tags}
    if not permissions.can_triage_ticket(actor):
        if any(staff_fields.values()):
            raise NotPermitted("Only staff may set these fields.", details=staff_only(staff_fields))
        if requester.pk != actor.pk:
            raise NotPermitted("You can only open tickets for yourself.", details=staff_only({"requester": 1}))
    # The account as it is now, locked until the ticket is in: a claim of its address that forfeits it
    # (accounts.services.email_address_claim, which refuses an account holding tickets) comes before or after, whole.
    account = account_lock(requester)
    if not account.is_active:
        # Each door that finds a requester by address refuses a deactivated one first, naming its own field
        # (accounts.selectors.requester_address_refusal); this holds for a requester chosen as an account too.
        raise InvalidValue(REQUESTER_INACTIVE, details={"requester": [REQUESTER_INACTIVE]})
    # The helpdesk's own accounts (the automations' actor, a forfeited one) take no mail and speak for no one.
    if address_reserved(account.email):
        raise InvalidValue(ADDRESS_RESERVED, details={"requester": [ADDRESS_RESERVED]})
    if any(address_reserved(user.email) for user in followers):
        raise InvalidValue(ADDRESS_RESERVED, details={"followers": [ADDRESS_RESERVED]})
    if category is not None and not category.is_active and not permissions.is_staff_member(actor):
        raise InvalidValue("Invalid category.", details={"category": ["This category is not available."]})
    validate_assignee(assignee)
    validate_files(files)
    subject = subject.strip()
    if not subject:
        raise InvalidValue("Subject is required.", details={"subject": ["This field may not be blank."]})
    routed_team = team or intake_team or (category.default_team if category else None)
    ensure_named_rows_remain({"category": category, "team": routed_team, "assignee": assignee})

    ticket = Ticket.objects.create(
        requester=requester,
        subject=subject,
        description=description,
        description_html=render_markdown(description),
        category=category,
        team=routed_team,
        priority=intake_priority if intake_priority is not None else priority,
        assignee=assignee,
        channel=channel,
        sender_verified=sender_verified,
    )
    if tags:
        ticket.tags.set(tags_from_names(normalize_tag_names(tags)))
    payload: dict[str, object] = {"requester_id": requester.pk, "channel": ticket.channel}
    follower_ids = sorted({user.pk for user in followers if user.pk != requester.pk})
    if follower_ids:
        ticket.followers.add(*follower_ids)
        payload["follower_ids"] = follower_ids
    record_event(ticket=ticket, actor=actor, kind=TicketEventKind.CREATED, new=ticket.subject, payload=payload)
    attachments_save(ticket=ticket, comment=None, actor=actor, files=files)
    sla_clocks_update(ticket=ticket)
    return ticket
