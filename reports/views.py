"""The reports page and the CSV download of each of its tables."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from helpdesk.decorators import staff_required
from reports import charts
from reports.forms import ReportFilterForm
from reports.permissions import can_view_reports
from reports.selectors import TABLES, dashboard, table_rows
from reports.services import reports_time_zone


def _figures(request: HttpRequest) -> tuple[ReportFilterForm, dict[str, Any]]:
    if not can_view_reports(request.user):
        raise PermissionDenied
    form = ReportFilterForm(request.GET or None, today=timezone.localdate(timezone=reports_time_zone()))
    return form, dashboard(form.filters())


@require_http_methods(["GET"])
@login_required
@staff_required
def reports_dashboard(request: HttpRequest) -> HttpResponse:
    form, figures = _figures(request)
    if form.is_bound and not form.is_valid():
        messages.error(request, "Those filters are not valid, so the last 30 days are shown. See the form below.")
    return _dashboard_page(request, form, figures)


def _dashboard_page(
    request: HttpRequest, form: ReportFilterForm, figures: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    days = [row["day"] for row in figures["daily"]]
    tables = []
    for name, (title, columns) in TABLES.items():
        rows = table_rows(figures, name)
        # Cells as plain lists: the template only iterates (a filter call per cell costs more than the queries).
        cells = [["—" if row[key] is None else row[key] for key, _ in columns] for row in rows]
        tables.append({"name": name, "title": title, "headings": [h for _, h in columns], "rows": rows, "cells": cells})
    context = {
        "form": form,
        "figures": figures,
        "tables": {table["name"]: table for table in tables},
        "query": request.GET.urlencode() if form.is_bound and form.is_valid() else "",
        "created_solved_chart": charts.line_chart(
            days,
            [
                ("Created", "chart-series-1", [row["created"] for row in figures["daily"]]),
                ("Solved", "chart-series-2", [row["solved"] for row in figures["daily"]]),
            ],
        ),
        "backlog_chart": charts.line_chart(
            days, [("Open at end of day", "chart-series-3", [row["backlog"] for row in figures["daily"]])]
        ),
        "status_chart": charts.bar_chart([(row["label"], row["count"]) for row in figures["open_by_status"]]),
        "priority_chart": charts.bar_chart([(row["priority"], row["count"]) for row in figures["open_by_priority"]]),
        "team_chart": charts.bar_chart([(row["team"], row["count"]) for row in figures["open_by_team"]]),
        "channel_chart": charts.bar_chart([(row["label"], row["count"]) for row in figures["by_channel"]]),
    }
    return render(request, "reports/dashboard.html", context, status=status)


@require_http_methods(["GET"])
@login_required
@staff_required
def reports_csv(request: HttpRequest, table: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404
    form, figures = _figures(request)
    if form.is_bound and not form.is_valid():
        # A file of another period than the one asked for would pass for the right one: the page says why instead.
        messages.error(
            request, "Those filters are not valid, so no CSV was made; the last 30 days are shown. See the form below."
        )
        return _dashboard_page(request, form, figures, status=400)
    filters = form.filters()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table}-{filters.start}-{filters.end}.csv"'
    _title, columns = TABLES[table]
    response.write("\ufeff")  # the byte order mark that makes Excel read the file as UTF-8 (as the queue's export)
    writer = csv.writer(response)
    writer.writerow([heading for _, heading in columns])
    for row in table_rows(figures, table):
        writer.writerow([_csv_cell(row[key]) for key, _ in columns])
    return response


def _csv_cell(value: object) -> object:
    """Text a spreadsheet could take for a formula (=, +, -, @) is quoted, so opening the file runs nothing."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
