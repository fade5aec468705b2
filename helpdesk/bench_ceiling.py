"""The benchmark's yardstick: the least Django and DRF can do for one page of 25 tickets.

One indexed query, rows as plain dicts through DRF's `Response`: no authentication, permissions, filters or
serializer. `BENCH_DB=postgres make bench` divides every scenario's throughput by this view's, measured in the same
run. Routed only when the bench-only setting `BENCH_CEILING` is on (see helpdesk/urls.py); never in production.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets.models import Ticket

CEILING_PAGE_SIZE = 25


@extend_schema(exclude=True)
class BenchCeilingView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    def get(self, request: Request) -> Response:
        rows = Ticket.objects.order_by("-created_at", "-id").values(
            "id", "subject", "status", "priority", "requester_id", "assignee_id", "created_at", "updated_at"
        )[:CEILING_PAGE_SIZE]
        return Response({"results": list(rows)})
