"""Ticket filters, shared by the API list and the staff queue page (django-filter parses the query string)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from helpdesk.errors import InvalidValue
from helpdesk.filtersets import CommaSeparatedInFilter, CopiedPerRequest, TrueOrFalseFilter
from helpdesk.sql import CompiledQuery
from search.selectors import query_cleaned, snippet_expression, ticket_ids_matching
from sla.models import SlaClock
from tickets.models import Category, Channel, Priority, Status, Team, Ticket
from tickets.permissions import can_see_internal, can_see_sla_clocks

if TYPE_CHECKING:
    from accounts.models import User
    from queues.selectors import ViewFilters


class ChoiceInFilter(CommaSeparatedInFilter, django_filters.ChoiceFilter):
    """`?status=new,open`: a comma-separated list, each value checked against the choices."""


class UtcIsoDateTimeField(IsoDateTimeField):
    """Any ISO 8601 offset in, UTC out, or a 400. A time without an offset is in the site's zone (TIME_ZONE), not the
    viewer's: a saved view, a rule or a link means the same tickets on every agent's page, in the API and in the worker.

    Python accepts offsets up to ±23:59 and every day of years 1 to 9999; the databases do not. PostgreSQL refuses
    offsets beyond ±15:59, and SQLite's adapter overflows converting the calendar's first and last days to UTC.
    Converting here turns both into a validation error instead of a server error at query time.
    """

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(timezone.get_default_timezone()):
            moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError("This date and time is out of range.", code="out_of_range") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


# Ids are bigints on every supported database; a longer number is no id, and must not reach the database (SQLite
# cannot even bind it). Eighteen digits stay below 2**63 - 1.
ID_MAX = 2**63 - 1
ID_PATTERN = r"\d{1,18}"


def id_read(value: Any) -> int | None:
    """The id a row-choosing filter (`team`, `category`, `assignee`) reads in a value, as the ORM reads one: `int()`
    of it, so "05", " 5" and "+5" all name row 5. None when it names no possible row."""
    try:
        key = int(value)
    except (TypeError, ValueError):
        return None
    return key if 0 < key <= ID_MAX else None


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})  # a NumberFilter reads as any number
class IdFilter(django_filters.NumberFilter):
    """A whole-number id: `1.5` or a number no database stores is a 400, not a silent truncation or a crash."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=ID_MAX, **kwargs)


class KeyChoiceField(django_filters.fields.ModelChoiceField):
    """A row chosen by its id, read with a query compiled once (helpdesk.sql), where `queryset.get(pk=…)` took the ORM
    longer to compile than the database to answer. The value is read as the ORM reads an id, and one that names no
    row is ModelChoiceField's "Select a valid choice" error. A queryset narrowed by a filter is read as
    ModelChoiceField reads it."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values or self.queryset.query.where or value == self.null_value:
            return super().to_python(value)
        key = id_read(value)
        row = _row_by_id(self.queryset.model).first(key) if key is not None else None
        if row is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return row


class KeyChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = KeyChoiceField


@functools.cache
def _row_by_id(model: type[Model]) -> CompiledQuery:
    return CompiledQuery(lambda key: model._default_manager.filter(pk=key))


WITHIN_DAYS_MAX = 3650


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": WITHIN_DAYS_MAX})
class WithinDaysFilter(django_filters.NumberFilter):
    """`?updated_within=7`: in the last so many whole days, counted back from when the tickets are read. A view, rule
    or SLA policy storing it keeps a moving window, where a stored `updated_after` is a fixed moment."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=WITHIN_DAYS_MAX, lookup_expr="gte", **kwargs)

    def filter(self, queryset: QuerySet[Ticket], value: int | None) -> QuerySet[Ticket]:
        if value is None:
            return queryset
        return super().filter(queryset, timezone.now() - timedelta(days=value))


UPDATED_WITHIN_HELP = (
    f"Updated in the last this many days (1 to {WITHIN_DAYS_MAX}), counted back from when the list is read: stored in "
    "a view, an automation rule or an SLA policy it keeps moving, where `updated_after` is a fixed moment."
)

# A search box's query, generously: PostgreSQL's full-text query parser runs out of stack on some thousands of words
# (a 503 "database unavailable" that was no such thing), and a saved view stores it to run on every queue page.
SEARCH_MAX_CHARS = 1000

ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"
ASSIGNEE_PATTERN = rf"^({ASSIGNEE_ME}|{ASSIGNEE_NONE}|{ID_PATTERN})$"

SLA_BREACHED = "breached"
SLA_DUE_SOON = "due_soon"
SLA_CHOICES = [(SLA_BREACHED, "Breached"), (SLA_DUE_SOON, "Due soon")]


class TicketFilter(CopiedPerRequest):
    status = ChoiceInFilter(choices=Status.choices, help_text="Comma-separated statuses.")
    priority = django_filters.ChoiceFilter(
        choices=[(p.label, p.label) for p in Priority], method="filter_priority", empty_label="Any priority"
    )
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        validators=[RegexValidator(ASSIGNEE_PATTERN, "Use a user id, “me” or “none”.")],
        help_text="A user id, “me” or “none”.",
    )
    team = KeyChoiceFilter(queryset=Team.objects.all(), empty_label="Any team")
    my_teams = TrueOrFalseFilter(
        method="filter_my_teams",
        label="My teams",
        help_text="`true`: tickets of the teams you are a member of; `false`: the others.",
    )
    category = KeyChoiceFilter(queryset=Category.objects.all(), empty_label="Any category")
    requester = IdFilter(field_name="requester_id")
    tag = django_filters.CharFilter(field_name="tags__name", label="Tag")
    form = IdFilter(field_name="submission__version__form_id", help_text="The intake form the ticket came through.")
    channel = django_filters.ChoiceFilter(choices=Channel.choices, help_text="The door the ticket came in through.")
    sla = django_filters.ChoiceFilter(
        choices=SLA_CHOICES,
        method="filter_sla",
        label="SLA",
        empty_label="Any",
        help_text="`breached`: a target missed and not yet met; `due_soon`: past its warning share, not yet due.",
    )
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    updated_after = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_within = WithinDaysFilter(field_name="updated_at", help_text=UPDATED_WITHIN_HELP)
    q = django_filters.CharFilter(method="filter_text", label="Search", max_length=SEARCH_MAX_CHARS)

    class Meta:
        model = Ticket
        fields: list[str] = []

    # The filters whose form field depends on the request (it knows the viewer); the others' fields do not.
    per_request_fields: tuple[str, ...] = ()

    def get_form_class(self) -> type[forms.Form]:
        """django-filter builds the form class, every field and its label, for each filterset: here each class
        builds it once (each set of filters a request or a view names is a class of its own: helpdesk/filtersets.py),
        and adds per_request_fields for each filterset. Every form still gets its own copies of the fields."""
        filterset_class = type(self)
        shared = filterset_class.__dict__.get("shared_form_class")
        if shared is None:
            fields = {name: spec.field for name, spec in self.filters.items() if name not in self.per_request_fields}
            shared = type(f"{filterset_class.__name__}Form", (self._meta.form,), fields)
            filterset_class.shared_form_class = shared  # on the class itself, so it goes when the class does
        per_request = {name: self.filters[name].field for name in self.per_request_fields if name in self.filters}
        return type(shared.__name__, (shared,), per_request) if per_request else shared

    def filter_queryset(self, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        """No ticket when a condition is not valid: django-filter leaves an invalid one out, which widens the list to
        every ticket, and stored conditions (a view's, a rule's) go invalid when the team they name is deleted. (A
        list's other parameters, such as the queue's sort, are not conditions.)"""
        if any(name in TicketFilter.base_filters for name in self.form.errors):
            return queryset.none()
        return super().filter_queryset(queryset)

    def filter_priority(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return queryset.filter(priority=Priority.from_name(value))

    def filter_assignee(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        if value == ASSIGNEE_ME:
            # A rule or SLA policy that runs on its own has no viewer: "me" is nobody, not the unassigned tickets.
            return queryset.filter(assignee=self.request.user) if self.request else queryset.none()
        if value == ASSIGNEE_NONE:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    def filter_my_teams(self, queryset: QuerySet[Ticket], name: str, value: bool) -> QuerySet[Ticket]:
        user = self.request.user if self.request else None
        # A rule that runs on its own has no viewer, so no teams: `my_teams=true` matches nothing there.
        teams = Team.objects.filter(members=user) if user is not None and user.is_authenticated else Team.objects.none()
        condition = Q(team__in=teams.values("pk"))
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_sla(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        # Requesters never see a ticket's SLA clocks (`sla` is null for them): nor may they ask which ones ran late.
        if self.request is not None and not can_see_sla_clocks(self.request.user):
            raise InvalidValue("Only agents and admins may filter by SLA.", details={name: ["Agents and admins only."]})
        clocks = SlaClock.objects.breached() if value == SLA_BREACHED else SlaClock.objects.due_soon()
        return queryset.filter(Exists(clocks.filter(ticket=OuterRef("pk"))))

    def filter_text(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        """Full-text search (search/selectors.py); each result carries `search_snippet`, its best passage."""
        value = query_cleaned(value)
        if not value:  # nothing to search for ("", "-"): no search, as an empty box
            return queryset
        # Staff text (internal notes) only for someone who may read it; a rule running on its own gets public text.
        include_internal = self.request is not None and can_see_internal(self.request.user)
        matching = ticket_ids_matching(value, include_internal=include_internal)
        snippet = snippet_expression(value, include_internal=include_internal)
        return queryset.filter(pk__in=matching).annotate(search_snippet=snippet)


VIEW_NOT_FOUND = "No view has this id or key, or it is not shared with you."


class ViewField(forms.CharField):
    """A view's key or id, cleaned into that view's conditions and sort as `viewer` sees it.

    A view that does not exist, one not shared with the viewer, and any view asked for by a requester are the same
    error: the answer tells nobody which ids exist."""

    def __init__(self, *, viewer: User | None, **kwargs: Any) -> None:
        super().__init__(max_length=30, **kwargs)
        self.viewer = viewer

    def clean(self, value: Any) -> ViewFilters | None:
        key = super().clean(value)
        if not key:
            return None
        # Saved views (the queues app) are built on these filters, so they are read only once a request asks.
        from queues.selectors import view_filters_for

        found = view_filters_for(self.viewer, key, now=timezone.now()) if self.viewer is not None else None
        if found is None:
            raise forms.ValidationError(VIEW_NOT_FOUND, code="unknown_view")
        return found


@extend_schema_field(OpenApiTypes.STR)  # not a model field: the schema cannot read its type off the model
class ViewFilter(django_filters.Filter):
    """`?view=open` or `?view=12`: the tickets a built-in or saved view shows, as the view's own list finds them."""

    field_class = ViewField

    @property
    def field(self) -> forms.Field:
        request = getattr(self.parent, "request", None)
        self.extra["viewer"] = getattr(request, "user", None)
        return super().field

    def filter(self, queryset: QuerySet[Ticket], value: ViewFilters | None) -> QuerySet[Ticket]:
        if value is None:
            return queryset
        from tickets.conditions import tickets_matching  # the conditions are TicketFilter's, defined above

        return tickets_matching(value.conditions, queryset, user=self.extra["viewer"])


class TicketListFilter(TicketFilter):
    """The API list's filters: the conditions, and `view`, which applies a whole view's conditions with them.

    `view` is no condition itself: a view (or rule) storing another view could refer to itself."""

    view = ViewFilter(help_text="A built-in view's key or a saved view's id.")

    per_request_fields = ("view",)
