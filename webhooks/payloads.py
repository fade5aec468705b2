"""The JSON body of a delivery: the event, and the resources it is about as the API shows them to an admin.

    {"type": "ticket.status_changed", "timestamp": "2026-12-01T15:00:00.123456Z",
     "data": {"event_id": 42, "actor": 7, "internal": false, "details": {"old": "open", "new": "solved"},
              "ticket": {...as GET /api/v1/tickets/{id}/...}, "comment": {...} (comment events only)}}

`details` is the event's own payload (ids and raw values). The resources are read when the delivery is prepared,
right after the event, and the same bytes are sent on every attempt.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from accounts.models import Role, User
from accounts.serializers import UserSerializer
from events.models import Event
from tickets.models import Comment, Ticket
from tickets.serializers import CommentSerializer, TicketDetailSerializer


class _AdminsView:
    """What the API's serializers read of a request, as for an admin: the role, and absolute links to SITE_URL."""

    user = User(role=Role.ADMIN, is_active=True)

    def build_absolute_uri(self, location: str) -> str:
        return settings.SITE_URL + location


def _timestamp(event: Event) -> str:
    return event.created_at.isoformat().replace("+00:00", "Z")


def delivery_body(event: Event) -> str:
    context = {"request": _AdminsView()}
    payload = {key: value for key, value in event.payload.items()}
    data: dict[str, Any] = {
        "event_id": event.pk,
        "actor": event.actor_id,
        "internal": event.internal,
        "details": payload,
    }
    if event.ticket_id is not None:
        ticket = Ticket.objects.filter(pk=event.ticket_id).prefetch_related("tags").first()
        data["ticket"] = TicketDetailSerializer(ticket, context=context).data if ticket is not None else None
    comment_id = payload.get("comment_id")
    if isinstance(comment_id, int):
        comment = Comment.objects.filter(pk=comment_id).prefetch_related("attachments").first()
        # A requester's reply event is public; an internal note reaches only endpoints that take internal events
        # (the event itself is internal then), so a comment is shown only as internal as its event.
        if comment is not None and (event.internal or not comment.internal):
            data["comment"] = CommentSerializer(comment, context=context).data
    user_id = payload.get("user_id")
    if isinstance(user_id, int):
        user = User.objects.filter(pk=user_id).first()
        if user is not None:
            data["user"] = UserSerializer(user, context=context).data
    body = {"type": event.kind, "timestamp": _timestamp(event), "data": data}
    return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":"))
