"""Filters for the People page (django-filter parses the query string, as on the staff queue)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from accounts.models import Role, User
from helpdesk.filtersets import CopiedPerRequest
from helpdesk.forms import PageForm


class PeopleFilter(CopiedPerRequest):
    q = django_filters.CharFilter(
        method="filter_text", label="Search", widget=forms.TextInput(attrs={"type": "search"})
    )
    role = django_filters.ChoiceFilter(choices=Role.choices, empty_label="Any role")

    class Meta:
        model = User
        fields: list[str] = []
        form = PageForm

    def filter_text(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(email__icontains=value) | Q(name__icontains=value))
