"""Shape tickets, comments and events for the API. Validation only; services do the writing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from accounts.models import User
from csat.selectors import latest_survey
from csat.serializers import SatisfactionSerializer
from helpdesk import api_fields
from search.serializers import SearchSnippetField, snippet_value
from sla.serializers import SlaClockSerializer, clock_data
from tickets.models import (
    BODY_MAX_CHARS,
    Attachment,
    Category,
    Comment,
    Priority,
    Status,
    Team,
    Ticket,
    TicketEvent,
    TicketLink,
)
from tickets.permissions import can_see_sla_clocks
from tickets.selectors import TicketListExtras, opening_files_of
from tickets.services.links import LINK_LABELS, relation_from


class PriorityField(serializers.ChoiceField):
    """Priorities are stored as numbers and spoken as names: low, normal, high, urgent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[p.label for p in Priority], **kwargs)

    def to_representation(self, value: int) -> str:
        return Priority(value).label

    def to_internal_value(self, data: Any) -> Priority:
        return Priority.from_name(super().to_internal_value(data))


class TicketSerializer(api_fields.ModelSerializer):
    priority = PriorityField(read_only=True)
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    sla = serializers.SerializerMethodField(
        help_text="Agents and admins: the ticket's running SLA clocks (first response, next response, resolution) "
        "with their targets and due times; null for requesters."
    )
    satisfaction = serializers.SerializerMethodField(
        help_text="The requester's rating of the latest resolution; null before the first resolution."
    )
    snippet = SearchSnippetField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "description",
            "status",
            "priority",
            "category",
            "team",
            "requester",
            "assignee",
            "tags",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "sender_verified",
            "merged_into",
            "sla",
            "satisfaction",
            "snippet",
        ]
        read_only_fields = fields

    @extend_schema_field(SlaClockSerializer(many=True, allow_null=True))
    def get_sla(self, ticket: Ticket) -> list[dict[str, Any]] | None:
        request = self.context.get("request")
        if request is None or not can_see_sla_clocks(request.user):
            return None
        clocks = getattr(ticket, "running_sla_clocks", None)
        if clocks is None:
            clocks = ticket.sla_clocks.running()
        return SlaClockSerializer(clocks, many=True).data

    @extend_schema_field(SatisfactionSerializer(allow_null=True))
    def get_satisfaction(self, ticket: Ticket) -> dict[str, Any] | None:
        survey = latest_survey(ticket)
        return SatisfactionSerializer(survey).data if survey is not None else None


_PRIORITY_NAMES = {priority.value: priority.label for priority in Priority}


def _datetime_representation() -> Callable[[datetime | None], datetime | str | None]:
    """serializers.DateTimeField().to_representation for a page of values, with the current time zone looked up once
    instead of for each of a page's times. In UTC (settings.TIME_ZONE, UTC unless set otherwise) a UTC time is
    handed back as it is: the page's response is marked `times_as_fields` (helpdesk.renderers), and its renderer
    writes the field's text for it, in C, where formatting it here took longer than the rest of the page's payload.
    In another zone, the field's text."""
    field = serializers.DateTimeField()
    if not settings.USE_TZ or api_settings.DATETIME_FORMAT.lower() != ISO_8601:
        return field.to_representation
    zone = timezone.get_current_timezone()
    if getattr(zone, "key", None) == "UTC" or zone is UTC:

        def as_written(value: datetime | None) -> datetime | str | None:
            if value is None or value.tzinfo is UTC:  # what both databases' columns are read as
                return value
            return field.to_representation(value)

        return as_written

    def when(value: datetime | None) -> str | None:
        if value is None:
            return None  # what the field gives for no time, without the call: most of a page's times are unset
        if value.tzinfo is None:
            return field.to_representation(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return when


def ticket_list_data(
    rows: list[dict[str, Any]], extras: TicketListExtras, running_clocks: dict[int, list[dict[str, Any]]] | None
) -> list[dict[str, Any]]:
    """TicketSerializer's output for a page of rows from selectors.ticket_list_rows, built without a model
    instance or a serializer per row: on the API list that machinery cost more than the database did. A test holds
    the two outputs equal, as the client reads them: the times may be left as UTC datetimes, for a response marked
    `times_as_fields` (_datetime_representation). `running_clocks` as sla.selectors.running_clock_values_by_ticket
    reads them, or None where the reader is not shown SLA clocks."""
    when, now = _datetime_representation(), timezone.now()
    show_sla = running_clocks is not None
    clocks = {
        ticket: [clock_data(clock, when, now) for clock in found] for ticket, found in (running_clocks or {}).items()
    }
    latest = [*extras.latest_surveys.values()]
    surveys = dict(zip(extras.latest_surveys, SatisfactionSerializer(latest, many=True).data, strict=True))
    return [
        {
            "id": row["id"],
            "subject": row["subject"],
            "description": row["description"],
            "status": row["status"],
            "priority": _PRIORITY_NAMES[row["priority"]],
            "category": row["category_id"],
            "team": row["team_id"],
            "requester": row["requester_id"],
            "assignee": row["assignee_id"],
            "tags": extras.tags[row["id"]],
            "created_at": when(row["created_at"]),
            "updated_at": when(row["updated_at"]),
            "first_response_at": when(row["first_response_at"]),
            "resolved_at": when(row["resolved_at"]),
            "closed_at": when(row["closed_at"]),
            "sender_verified": row["sender_verified"],
            "merged_into": row["merged_into_id"],
            "sla": clocks.get(row["id"], []) if show_sla else None,
            "satisfaction": surveys.get(row["id"]),
            **({"snippet": snippet_value(row["search_snippet"])} if "search_snippet" in row else {}),
        }
        for row in rows
    ]


MAX_TAGS = 20


class TagListField(serializers.ListField):
    """At most MAX_TAGS names. ListField reads its limits from keyword arguments only: a class attribute
    `max_length` is overwritten with None by its __init__, so the limit goes in here."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=api_fields.CharField(max_length=50), max_length=MAX_TAGS, **kwargs)


class TicketCreateSerializer(serializers.Serializer):
    subject = api_fields.CharField(max_length=200)
    description = api_fields.CharField(allow_blank=True, required=False, default="", max_length=BODY_MAX_CHARS)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), allow_null=True, required=False)
    # Staff-only fields; a requester sending any of them is refused by the view before this runs.
    requester = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    requester_email = api_fields.EmailField(
        required=False,
        max_length=254,
        help_text="Agents and admins, instead of `requester`: open the ticket for this address's account, created "
        "(without a password) if there is none.",
    )
    requester_name = api_fields.CharField(
        required=False, max_length=150, allow_blank=True, help_text="The name for a new `requester_email` account."
    )
    priority = PriorityField(required=False, default=Priority.NORMAL)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.staff(), allow_null=True, required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)
    tags = TagListField(required=False, default=list)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "requester" in attrs and "requester_email" in attrs:
            raise serializers.ValidationError({"requester_email": ["Send `requester` or `requester_email`, not both."]})
        return attrs


class TicketUpdateSerializer(serializers.Serializer):
    """A triage edit (PATCH). Only the fields present in the request are changed."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = PriorityField(required=False)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.staff(), allow_null=True, required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), allow_null=True, required=False)
    tags = TagListField(required=False)


class AttachmentSerializer(api_fields.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "filename", "size", "content_type", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment: Attachment) -> str:
        path = reverse("api-attachment-download", kwargs={"pk": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class TicketDetailSerializer(TicketSerializer):
    """One ticket as read, opened or changed: what the list shows of it, and the files sent with its opening message
    (each reply's and note's files are on that comment)."""

    attachments = serializers.SerializerMethodField(
        help_text="The files sent with the opening message (by the form, by mail); each reply's and note's files "
        "are on that comment."
    )

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "attachments"]
        read_only_fields = fields

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, ticket: Ticket) -> list[dict[str, Any]]:
        return AttachmentSerializer(opening_files_of(ticket), many=True, context=self.context).data


class CommentSerializer(api_fields.ModelSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "ticket", "author", "body", "body_html", "internal", "created_at", "attachments"]
        read_only_fields = fields


class CommentCreateSerializer(serializers.Serializer):
    body = api_fields.CharField(max_length=BODY_MAX_CHARS)
    internal = serializers.BooleanField(required=False, default=False)
    # An empty file is refused by comment_create, naming it, as at every door (tickets.services.attachments).
    files = serializers.ListField(child=serializers.FileField(allow_empty_file=True), required=False, default=list)
    status = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        help_text="Agents and admins: send and set the ticket's status in one step (for example `pending` or "
        "`resolved`); a move the workflow refuses sends nothing. Without it, staff's first public reply on a `new` "
        "ticket moves it to `open`.",
    )


class TicketEventSerializer(api_fields.ModelSerializer):
    class Meta:
        model = TicketEvent
        fields = ["id", "ticket", "kind", "field", "old_value", "new_value", "actor", "created_at"]
        read_only_fields = fields


class CategorySerializer(api_fields.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "description", "default_team", "is_active"]
        read_only_fields = fields


class TeamSerializer(api_fields.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "members"]
        read_only_fields = fields


class TicketMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The ticket to merge this one into.")


class TicketLinkSerializer(api_fields.ModelSerializer):
    """A link as seen from the ticket in the path: what the other ticket is to it."""

    relation = serializers.SerializerMethodField(help_text="related, duplicate_of, duplicated_by, child_of, parent_of")
    ticket = serializers.SerializerMethodField(help_text="The other ticket's id.")

    class Meta:
        model = TicketLink
        fields = ["id", "relation", "ticket", "created_at"]
        read_only_fields = fields

    def _view(self, link: TicketLink) -> tuple[str, Ticket]:
        return relation_from(link, self.context["ticket"])

    def get_relation(self, link: TicketLink) -> str:
        return self._view(link)[0]

    def get_ticket(self, link: TicketLink) -> int:
        return self._view(link)[1].pk


class TicketLinkCreateSerializer(serializers.Serializer):
    relation = serializers.ChoiceField(
        choices=list(LINK_LABELS), help_text="What the other ticket is to this one, read from this ticket's side."
    )
    ticket = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The other ticket's id.")
