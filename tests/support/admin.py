"""The admin pages every admin-wide test walks through, and records enough for each of them to list one."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model

from accounts.models import User
from accounts.services import api_token_issue
from tickets.models import Tag, Ticket
from tickets.services import comment_create

# `app_model` of each registered model.
ADMIN_MODELS = [
    "accounts_user",
    "accounts_apitoken",
    "tickets_team",
    "tickets_category",
    "tickets_tag",
    "tickets_ticket",
    "tickets_comment",
    "tickets_attachment",
    "tickets_ticketevent",
]
# The ones an admin may add by hand; the rest are written only by services.
ADMIN_ADDABLE = [
    "accounts_user",
    "tickets_team",
    "tickets_category",
    "tickets_tag",
    "tickets_ticket",
    "tickets_comment",
]


def records_for_every_admin_list(ticket: Ticket, agent: User) -> Ticket:
    """A tagged ticket with a token, a reply carrying a file and an internal note: a row for every admin list."""
    ticket.tags.add(Tag.objects.create(name="vip"))
    api_token_issue(user=agent, name="laptop")
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4", content_type="application/pdf")
    comment_create(ticket=ticket, author=agent, body="See **attached**.", files=[upload])
    comment_create(ticket=ticket, author=agent, body="Internal thoughts", internal=True)
    return ticket


def deleted_once_validated(monkeypatch: pytest.MonkeyPatch, model: type[Model], row: Model) -> None:
    """Another admin deletes `row` once the page has validated its `model` row (its clean()), before its save
    writes: the row the page read is gone by then."""
    validated = model.clean

    def validated_then_deleted(obj: Model) -> None:
        validated(obj)
        type(row).objects.filter(pk=row.pk).delete()  # by another admin, after the page read it

    monkeypatch.setattr(model, "clean", validated_then_deleted)


def shown_messages(response) -> list[str]:
    """The messages an admin page shows at its top."""
    return [str(message) for message in response.context["messages"]]
