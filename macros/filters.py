from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from helpdesk.filtersets import CopiedPerRequest
from macros.models import Macro


class MacroFilter(CopiedPerRequest):
    q = django_filters.CharFilter(method="filter_words", max_length=100, help_text="Words in the macro's name.")

    class Meta:
        model = Macro
        fields = ["q"]

    def filter_words(self, queryset: QuerySet[Macro], name: str, value: str) -> QuerySet[Macro]:
        for word in value.split()[:5]:
            queryset = queryset.filter(name__icontains=word)
        return queryset
