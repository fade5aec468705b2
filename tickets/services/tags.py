"""Tags: normalised names, created on first use, and a ticket's set of them changed as one audited edit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from django.utils import timezone

from accounts.models import User
from helpdesk.errors import InvalidValue
from tickets.models import Tag, Ticket, TicketEventKind
from tickets.services.audit import record_event


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
    # ignore_conflicts: another request may create the same tag at the same moment.
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=names))


def ticket_set_tags(*, ticket: Ticket, actor: User, names: Sequence[str]) -> None:
    new_names = normalize_tag_names(names)
    old_names = sorted(ticket.tags.values_list("name", flat=True))
    if sorted(new_names) == old_names:
        return
    ticket.tags.set(tags_from_names(new_names))
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    record_event(
        ticket=ticket,
        actor=actor,
        kind=TicketEventKind.TAGS,
        field="tags",
        old=", ".join(old_names),
        new=", ".join(sorted(new_names)),
        payload={"old": old_names, "new": sorted(new_names)},
    )
