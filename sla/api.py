"""SLA in the API: policies with their targets, and a ticket's clocks (agents and admins only)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from accounts.permissions import is_staff_member
from helpdesk.errors import NotPermitted
from helpdesk.openapi import TICKET_ID, errors, path_id
from helpdesk.pagination import ById
from helpdesk.viewsets import StrictQueryString
from sla.models import SlaClock, SlaPolicy
from sla.serializers import SlaClockSerializer, SlaPolicySerializer
from tickets.api import IsStaffMember
from tickets.selectors import tickets_visible_to


@extend_schema_view(
    list=extend_schema(
        summary="List SLA policies",
        description="Agents and admins only. In the order they are tried: a ticket gets the first active policy "
        "whose `conditions` (the ticket list's filters) it meets, and its `targets` for the ticket's priority.",
        tags=["sla"],
        responses={200: SlaPolicySerializer, **errors(400, 403, 404)},
    ),
    retrieve=extend_schema(
        summary="Read an SLA policy",
        tags=["sla"],
        parameters=[path_id("id", "The policy's id.")],
        responses={200: SlaPolicySerializer, **errors(400, 403, 404)},
    ),
)
class SlaPolicyViewSet(StrictQueryString, viewsets.ReadOnlyModelViewSet):
    serializer_class = SlaPolicySerializer
    pagination_class = ById
    permission_classes = [IsStaffMember]
    queryset = SlaPolicy.objects.prefetch_related("targets")


class ByStart(ById):
    ordering = ("started_at", "id")


@extend_schema_view(
    list=extend_schema(
        summary="List a ticket's SLA clocks",
        description="Agents and admins only. Every promise the ticket had, oldest first: running ones with their "
        "due time, stopped ones with when they were met or breached.",
        tags=["sla"],
        parameters=[TICKET_ID],
        filters=False,
        responses={200: SlaClockSerializer, **errors(400, 403, 404)},
    ),
)
class TicketSlaClockViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SlaClockSerializer
    pagination_class = ByStart

    def get_queryset(self) -> QuerySet[SlaClock]:
        # Whether the ticket exists is asked first, so a requester cannot tell another's ticket from none (404).
        ticket = get_object_or_404(tickets_visible_to(self.request.user), pk=self.kwargs["ticket_pk"])
        if not is_staff_member(self.request.user):
            raise NotPermitted("Only agents and admins see SLA clocks.")
        return SlaClock.objects.filter(ticket=ticket)
