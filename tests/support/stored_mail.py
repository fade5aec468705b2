"""An InboundMessage row as intake leaves one, for tests that read a ticket's mail back."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from inbound.models import InboundMessage, InboundStatus, Source
from tickets.models import Comment, Ticket

_numbers = itertools.count(1)


def stored_mail(
    ticket: Ticket, comment: Comment | None = None, status: str = InboundStatus.PROCESSED, **fields: Any
) -> InboundMessage:
    raw = f"mail {next(_numbers)} for {comment.pk if comment else 'the opening'}".encode()
    return InboundMessage.objects.create(
        source=Source.PIPE,
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        ticket=ticket,
        comment=comment,
        status=status,
        **fields,
    )
