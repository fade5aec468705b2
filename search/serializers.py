"""The search snippet as an API field: present on each result only when the list was searched (`q`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.fields import SkipField

from helpdesk import api_fields
from search.highlight import snippet_html

SNIPPET_HELP = (
    "Only when the list is searched with `q`: the passage of the ticket that best matches, as HTML. Everything in "
    "it is escaped except the matched words, which are wrapped in `<mark>` elements. Null, or without marks, when "
    "the ticket matched by its number or its requester's address rather than by its text."
)


def snippet_value(raw: str | None) -> str | None:
    """The field's value for a raw snippet (lists built without a serializer use this)."""
    return None if raw is None else str(snippet_html(raw))


@extend_schema_field(OpenApiTypes.STR)
class SearchSnippetField(api_fields.CharField):
    """Reads the `search_snippet` annotation that TicketFilter's `q` adds; a ticket without it has no such field."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="search_snippet", required=False, allow_null=True, help_text=SNIPPET_HELP, **kwargs)

    def get_attribute(self, instance: Any) -> Any:
        if not hasattr(instance, self.source):
            raise SkipField  # not searched: no such field, rather than a null one
        return super().get_attribute(instance)

    def to_representation(self, value: str) -> str:
        return str(snippet_html(value))
