"""Tags: normalised names, created on first use, and a ticket's set of them changed as one audited edit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from events.models import EventKind
from events.services import event_record, one_edit
from helpdesk.errors import InvalidValue
from sla.services import sla_clocks_update
from tickets.models import Tag, Ticket, TicketEventKind
from tickets.services.audit import record_event
from tickets.services.common import Row, lock_ticket


def normalize_tag_names(names: Iterable[str]) -> list[str]:
    cleaned = []
    for name in names:
        tag = name.strip().lower().replace(" ", "-")
        if not tag:
            continue
        if len(tag) > 50 or not _is_slug(tag):
            raise InvalidValue(
                "Invalid tag.",
                details={"tags": [f"“{name}” is not a valid tag: use letters, digits, - and _."]},
            )
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def _is_slug(value: str) -> bool:
    try:
        validate_unicode_slug(value)
    except ValidationError:
        return False
    return True


def tags_from_names(names: Sequence[str]) -> list[Tag]:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in names if name not in existing]
    if not missing:
        return list(existing.values())
    # ignore_conflicts: another request may create the same tag at the same moment.
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=names))


def tags_to_keep(*, names: Sequence[str]) -> set[Row]:
    """Create the tags `names` asks for that are missing, and return them all as rows to keep until our commit: for
    an edit that sets them on a ticket it locks after keeping them (tickets.services.triage.ticket_update, which
    keeps them in the one lock_order pass with the other rows it names).

    The join rows' foreign keys take a share of each new tag's row: taken after the ticket's lock, that could wait
    for a tag a deletion holds while the deletion waits for the ticket (the tags, then their tickets:
    tickets.services.removal), and PostgreSQL would end one of the two as a deadlock (a 503). A tag a deletion holds
    is waited for by the keep and, once gone, made anew, as any tag on first use: a row no deletion sees before our
    commit. Invalid names keep nothing: ticket_set_tags refuses them under the ticket's lock (after an If-Match
    check)."""
    try:
        cleaned = normalize_tag_names(names)
    except InvalidValue:
        return set()
    return {(Tag, tag.pk) for tag in tags_from_names(cleaned)}


def ticket_set_tags(*, ticket: Ticket, actor: User, names: Sequence[str]) -> None:
    new_names = normalize_tag_names(names)
    old_names = sorted(ticket.tags.values_list("name", flat=True))
    if sorted(new_names) == old_names:
        return
    ticket.tags.set(tags_from_names(new_names))
    _tags_changed(ticket=ticket, actor=actor, old_names=old_names, new_names=sorted(new_names))


@transaction.atomic
@one_edit()
def ticket_untag(*, ticket: Ticket, actor: User, tag: Tag) -> None:
    """Take `tag` off the ticket (the tag is being deleted), recorded as a tags edit. The other tags stay exactly as
    they are: not through ticket_set_tags, whose normalising could rename one an admin created as "VIP"."""
    ticket = lock_ticket(ticket, actor=actor)
    old_names = sorted(ticket.tags.values_list("name", flat=True))
    if tag.name not in old_names:
        return
    ticket.tags.remove(tag)
    _tags_changed(ticket=ticket, actor=actor, old_names=old_names, new_names=[n for n in old_names if n != tag.name])
    sla_clocks_update(ticket=ticket)


@transaction.atomic
def tag_rename(*, tag: Tag, name: str, actor: User) -> Tag:
    """Rename a tag (its admin page). The tickets that carry it keep it: no ticket changes, so none records an edit.
    One event says so, and the search documents of those tickets, which hold tag names, are rebuilt from it by the
    worker (search.handlers), a batch at a time however many there are."""
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    old_name = tag.name
    if name == old_name:
        return tag
    tag.name = name
    tag.save(update_fields=["name"])
    event_record(
        kind=EventKind.TAG_RENAMED, actor=actor, internal=True, payload={"tag_id": tag.pk, "old": old_name, "new": name}
    )
    return tag


def _tags_changed(*, ticket: Ticket, actor: User, old_names: list[str], new_names: list[str]) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    record_event(
        ticket=ticket,
        actor=actor,
        kind=TicketEventKind.TAGS,
        field="tags",
        old=", ".join(old_names),
        new=", ".join(new_names),
        payload={"old": old_names, "new": new_names},
    )
