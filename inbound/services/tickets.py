"""Mail into tickets: a new ticket, or a reply through `comment_create`, through the same services as every door."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat

from accounts.models import User
from accounts.selectors import address_reserved
from accounts.services import account_lock
from forms_builder.services import public_requester_for
from helpdesk.errors import InvalidValue
from inbound.matching import user_for_address
from inbound.models import InboundMessage
from inbound.parsing import ParsedMail
from inbound.quotes import visible_reply
from inbound.selectors import mailbox_for_addresses, our_addresses
from notifications.mail_ids import ticket_id_from_address
from tickets.models import BODY_MAX_CHARS, Channel, Comment, Status, Ticket
from tickets.services import comment_create, ticket_create
from tickets.services.attachments import empty_file_message

SUBJECT_MAX_CHARS = 200
MAX_FOLLOWERS_FROM_CC = 20
EMPTY_BODY = "(No text in the mail.)"
CUT_NOTE = (
    "(The rest of this message was cut: it was longer than {limit} characters. The original message is kept in "
    "full: staff can read it with “full mail”.)"
)
PARTS_UNREAD_NOTE = (
    "The mail's parts after its first {count}, text and files alike: it has more parts, longer part headers or "
    "deeper nesting than the helpdesk reads of one mail."
)


@dataclass(frozen=True)
class ReplyResult:
    ticket: Ticket
    comment: Comment | None  # None: the ticket was closed, so the mail opened `ticket`, a new one


def mail_open_ticket(*, message: InboundMessage, mail: ParsedMail, follow_up_of: Ticket | None = None) -> Ticket:
    """A new ticket from the sender, who becomes a requester with an unconfirmed address if we did not know them.

    The people Cc'd on this first mail become followers: they receive the public replies."""
    requester = _mail_requester(mail)
    files, notes = mail_files(mail)
    text = mail.text
    if follow_up_of is not None:
        text = f"Follow-up to ticket #{follow_up_of.pk}, which is closed.\n\n{text}"
    mailbox = message.mailbox or mailbox_for_addresses([message.envelope_recipient, *mail.recipients])
    return ticket_create(
        requester=requester,
        subject=mail.subject[:SUBJECT_MAX_CHARS].strip() or "(no subject)",
        description=_with_notes(text, notes),
        category=mailbox.category if mailbox and mailbox.category and mailbox.category.is_active else None,
        intake_team=mailbox.team if mailbox else None,
        followers=_followers_from_cc(mail, requester),
        files=files,
        channel=Channel.EMAIL,
        sender_verified=False,  # a From header is typed by the sender: staff see the mark, as for a form's guest
    )


def mail_reply(
    *, message: InboundMessage, mail: ParsedMail, ticket: Ticket, author: User, internal: bool = False
) -> ReplyResult:
    """The visible part of the mail as a public reply from `author` (so it reopens and is audited like any reply),
    or, `internal`, a note only staff read (an author who is staff).
    A requester's mail to a closed ticket opens a follow-up ticket instead: closed tickets stay closed."""
    ticket = ticket_conversation_continues_on(ticket)
    if ticket.status == Status.CLOSED and not author.is_agent_or_admin:
        return ReplyResult(mail_open_ticket(message=message, mail=mail, follow_up_of=ticket), None)
    files, notes = mail_files(mail)
    body = _with_notes(visible_reply(mail.text), notes) or EMPTY_BODY
    return ReplyResult(ticket, comment_create(ticket=ticket, author=author, body=body, internal=internal, files=files))


def ticket_conversation_continues_on(ticket: Ticket) -> Ticket:
    """The ticket as it is now, locked until the mail is written, so that a merge or a close committed after the
    mail was matched (by an agent, or another worker) is seen, and none can come in between. A merged ticket takes
    no more messages (comment_create): the mail goes where its conversation moved, as if the merge had come first.

    The whole merge chain is locked in one statement in id order, as ticket_merge locks its pair: locking the merged
    ticket and then the one it went into could deadlock with a merge that holds the lower id and waits for ours."""
    while True:
        chain = _merge_chain(ticket.pk)
        locked = {row.pk: row for row in Ticket.objects.select_for_update().filter(pk__in=chain).order_by("pk")}
        if ticket.pk not in locked:
            raise Ticket.DoesNotExist(f"Ticket #{ticket.pk} does not exist.")
        if _is_merge_chain(chain, locked):
            return locked[chain[-1]]
        # Merged further (or back out of the chain) between the read and the lock: read it again.


def _merge_chain(ticket_id: int) -> list[int]:
    """The ticket and those it was merged into, in turn, read without locks. A merge refuses a merged source and a
    merged target, so the pointers never go round in a circle."""
    chain = [ticket_id]
    while True:
        merged_into = Ticket.objects.filter(pk=chain[-1]).values_list("merged_into_id", flat=True).first()
        if merged_into is None:
            return chain
        chain.append(merged_into)


def _is_merge_chain(chain: list[int], locked: dict[int, Ticket]) -> bool:
    """Whether the locked rows still point from one to the next, and the last one nowhere."""
    pointers = zip(chain, [*chain[1:], None], strict=True)
    return len(locked) == len(chain) and all(locked[pk].merged_into_id == next_pk for pk, next_pk in pointers)


def mail_participant(address: str, *, name: str = "") -> User:
    """The account for an address: the existing one (staff included), else a new requester whose address stays
    unconfirmed until its owner proves it (the same rule as public forms), named as the mail's From names them."""
    return user_for_address(address) or public_requester_for(email=address, name=_display_name(name))


def _mail_requester(mail: ParsedMail) -> User:
    """The sender's account, found again once the one found first is locked: its owner's proof of the address,
    committed meanwhile, may have taken it from an unproven sign-up (accounts.services.email_address_claim), and the
    mail is then theirs."""
    found = user_for_address(mail.from_address)
    if found is not None:
        account_lock(found)
    return mail_participant(mail.from_address, name=mail.from_name)


def _display_name(name: str) -> str:
    """A From display name fit to show staff. One holding an address is left out: staff would read it as the
    sender's address ("bob@example.com" <eve@example.net>)."""
    name = " ".join(name.split())
    return "" if "@" in name else name[: User._meta.get_field("name").max_length]


def mail_files(mail: ParsedMail) -> tuple[list[ContentFile], list[str]]:
    """The mail's attachments (inline images included) that hold something and are within the attachment limits,
    and a line for each one left out, and for the parts not read (inbound.parsing.PartsUnreadDefect). Nothing is
    lost: the stored original keeps every part."""
    files: list[ContentFile] = []
    left_out: list[str] = []
    for attachment in mail.attachments:
        size = len(attachment.data)
        if size == 0:  # refused at the doors a person uploads through; a sender cannot be asked to fix it
            left_out.append(empty_file_message(attachment.filename))
        elif size > settings.ATTACHMENT_MAX_BYTES:
            left_out.append(
                f"“{attachment.filename}” ({_size(size)}) is larger than the attachment limit of "
                f"{_size(settings.ATTACHMENT_MAX_BYTES)}."
            )
        elif len(files) >= settings.ATTACHMENT_MAX_FILES:
            left_out.append(f"“{attachment.filename}”: more than {settings.ATTACHMENT_MAX_FILES} files.")
        else:
            files.append(ContentFile(attachment.data, name=attachment.filename))
    if mail.parts_unread_after:
        left_out.insert(0, PARTS_UNREAD_NOTE.format(count=f"{mail.parts_unread_after:,}"))
    return files, left_out


def _size(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")  # plain text: no HTML non-breaking space


# The list of what was left out takes at most this much of a message; the lines past it are counted.
NOTES_MAX_CHARS = BODY_MAX_CHARS // 4


def _with_notes(text: str, notes: list[str]) -> str:
    """The text, with a line under it for each attachment left out. A text cut at the limit is cut before that list,
    which is kept: it is what tells staff a file is missing."""
    listed = "\n".join(_notes_listed(notes))
    tail = f"\n\nNot attached (the original message keeps them):\n{listed}" if notes else ""
    return f"{_within_body_limit(text.strip(), limit=BODY_MAX_CHARS - len(tail))}{tail}".strip()


def _notes_listed(notes: list[str]) -> list[str]:
    """A line for each note, up to NOTES_MAX_CHARS (hundreds of files of long names outgrew a message), then one
    saying how many more."""
    lines: list[str] = []
    length = 0
    for index, note in enumerate(notes):
        line = f"- {note}"
        length += len(line) + 1
        if length > NOTES_MAX_CHARS:
            return [*lines, f"- And {len(notes) - index:,} more."]
        lines.append(line)
    return lines


def _within_body_limit(body: str, *, limit: int) -> str:
    """The first `limit` characters of a longer mail, with a note saying so. Refusing it, as the forms and the API
    refuse a message longer than BODY_MAX_CHARS, would lose it: its sender cannot fix it. Nothing is lost: the stored
    original (the "full mail" link next to the message) keeps every character."""
    if len(body) <= limit:
        return body
    note = CUT_NOTE.format(limit=f"{BODY_MAX_CHARS:,}")
    return f"{body[: max(limit - len(note) - 2, 0)].rstrip()}\n\n{note}"


def _followers_from_cc(mail: ParsedMail, requester: User) -> list[User]:
    ours = our_addresses()
    followers: list[User] = []
    for address in dict.fromkeys(mail.cc):
        if address in ours or address == requester.email or ticket_id_from_address(address) is not None:
            continue
        if address_reserved(address):
            continue  # the helpdesk's own accounts (the automations' actor, a forfeited one) follow nothing
        try:
            followers.append(mail_participant(address))
        except InvalidValue:
            continue  # an address we cannot use is left out, like any malformed recipient
        if len(followers) >= MAX_FOLLOWERS_FROM_CC:
            break
    return followers
