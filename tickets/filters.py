"""Ticket filters, shared by the API list and the staff queue page (django-filter parses the query string)."""

from __future__ import annotations

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet

from tickets.models import Category, Priority, Status, Team, Ticket


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """`?status=new,open`: a comma-separated list, each value checked against the choices."""


ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"


class TicketFilter(django_filters.FilterSet):
    status = ChoiceInFilter(choices=Status.choices, help_text="Comma-separated statuses.")
    priority = django_filters.ChoiceFilter(
        choices=[(p.label, p.label) for p in Priority], method="filter_priority", empty_label="Any priority"
    )
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        validators=[RegexValidator(r"^(me|none|\d+)$", "Use a user id, “me” or “none”.")],
        help_text="A user id, “me” or “none”.",
    )
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), empty_label="Any team")
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all(), empty_label="Any category")
    requester = django_filters.NumberFilter(field_name="requester_id")
    tag = django_filters.CharFilter(field_name="tags__name")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    q = django_filters.CharFilter(method="filter_text", label="Search")

    class Meta:
        model = Ticket
        fields: list[str] = []

    def filter_priority(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return queryset.filter(priority=Priority.from_name(value))

    def filter_assignee(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        if value == ASSIGNEE_ME:
            return queryset.filter(assignee=self.request.user if self.request else None)
        if value == ASSIGNEE_NONE:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    def filter_text(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(subject__icontains=value) | Q(description__icontains=value))
