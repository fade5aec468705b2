from __future__ import annotations

from django import template

from accounts.permissions import AnyUser
from reports.permissions import can_view_reports

register = template.Library()


@register.filter(name="can_view_reports")
def can_view_reports_filter(user: AnyUser) -> bool:
    """For the navigation: whether to show the Reports link."""
    return can_view_reports(user)


@register.filter
def signed(value: float | int | None) -> str:
    """A change with its sign: +3, -1.5, 0; a dash when there is nothing to compare."""
    if value is None:
        return "—"
    return f"+{value:g}" if value > 0 else f"{value:g}"


@register.filter
def dash_if_none(value: object) -> object:
    return "—" if value is None else value


@register.filter
def cell(row: dict, key: str) -> object:
    value = row.get(key)
    return "—" if value is None else value
