"""Reports in the API: the dashboard's figures as JSON (admins; agents when REPORTS_FOR_AGENTS is on)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.errors import InvalidValue, NotPermitted
from helpdesk.openapi import errors
from helpdesk.pagination import refuse_repeated_query_params, refuse_unknown_query_params
from reports.forms import ReportFilterForm
from reports.permissions import can_view_reports
from reports.selectors import dashboard
from reports.serializers import DashboardSerializer
from reports.services import reports_time_zone

QUERY = ["start", "end", "team", "category", "agent"]


@extend_schema(
    summary="Read the reports",
    description="The figures of the reports page, for a period of whole days (default: the last 30, today "
    "included; at most 366) compared with the previous period of the same length: created, solved and the "
    "backlog per day; open tickets now by status, priority and team; first response and resolution time (median "
    "and 90th percentile, in business minutes); SLA breach rate, CSAT score, reopen rate; tickets by channel; "
    "agent load and activity. Admins only, and agents when the server sets `REPORTS_FOR_AGENTS`. Read from "
    "figures precomputed by the worker: today's days may lag by a few minutes.",
    tags=["reports"],
    parameters=[
        OpenApiParameter("start", type=str, description="First day, YYYY-MM-DD."),
        OpenApiParameter("end", type=str, description="Last day, included, YYYY-MM-DD. Default: today."),
        OpenApiParameter("team", type=int, description="Only this team's tickets."),
        OpenApiParameter("category", type=int, description="Only this category's tickets."),
        OpenApiParameter("agent", type=int, description="Only the tickets assigned to this agent, and their work."),
    ],
    responses={200: DashboardSerializer, **errors(400, 401, 403)},
)
@api_view(["GET"])
def reports_dashboard(request: Request) -> Response:
    if not can_view_reports(request.user):
        raise NotPermitted("Only admins may read the reports (and agents, where the server allows it).")
    refuse_unknown_query_params(request, set(QUERY))
    refuse_repeated_query_params(request)
    form = ReportFilterForm(request.query_params, today=timezone.localdate(timezone=reports_time_zone()))
    if not form.is_valid():
        raise InvalidValue("The filters are not valid.", details=_messages(form))
    return Response(DashboardSerializer(dashboard(form.filters())).data)


def _messages(form: ReportFilterForm) -> dict[str, list[str]]:
    return {field: list(messages) for field, messages in form.errors.items()}
