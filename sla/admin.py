"""Calendars and policies are configuration, edited here; clocks and notices are records, shown read-only."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import admin
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from helpdesk.admin_support import (
    ConfiguredRowsKeptForm,
    ConfiguredRowsKeptInlineFormSet,
    ListedRowsKeptMixin,
    ReadOnlyAdminMixin,
    ServiceErrorsAsMessagesMixin,
)
from helpdesk.errors import InvalidValue
from sla.models import (
    BusinessCalendar,
    EscalationNotice,
    OpeningHours,
    SlaClock,
    SlaPolicy,
    SlaTarget,
    SpecialDay,
    TeamCalendar,
)
from sla.services import sla_open_tickets_refresh_request


class RefreshOpenTicketsMixin:
    """Open tickets take up a changed policy or calendar at once (in the worker), keeping the time they used."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        sla_open_tickets_refresh_request()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        sla_open_tickets_refresh_request()

    @transaction.atomic  # the admin's list action is not atomic of its own: the request commits with the deletion
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # "Delete selected" in the list bypasses delete_model.
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        sla_open_tickets_refresh_request()


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class SpecialDayInline(admin.TabularInline):
    model = SpecialDay
    extra = 0
    verbose_name = "custom holiday or half day"
    verbose_name_plural = "custom holidays and half days"


class TeamCalendarForm(ConfiguredRowsKeptForm):
    """A link saved as its team or its calendar is deleted says so on the page: it failed at commit on the team's
    foreign key (a 500), and brought a deleted calendar back (the page's save found no row to update, so inserted)."""

    also_kept = {BusinessCalendar: "calendar"}


class TeamCalendarFormSet(ConfiguredRowsKeptInlineFormSet):
    """A team linked to another calendar after this page found it free (its unique check) is refused, nothing of the
    page saved (ServiceErrorsAsMessagesMixin): the link's write failed on the team's unique key, a 500."""

    def save_new(self, form: TeamCalendarForm, commit: bool = True) -> TeamCalendar:
        return _team_link_saved(form, partial(super().save_new, form, commit=commit))

    def save_existing(self, form: TeamCalendarForm, obj: TeamCalendar, commit: bool = True) -> TeamCalendar:
        return _team_link_saved(form, partial(super().save_existing, form, obj, commit=commit))


def _team_link_saved(form: TeamCalendarForm, save: Callable[[], TeamCalendar]) -> TeamCalendar:
    link = form.instance
    try:
        with transaction.atomic():  # a savepoint: PostgreSQL reads nothing more in a transaction after an error
            return save()
    except IntegrityError:
        other = TeamCalendar.objects.filter(team_id=link.team_id).exclude(pk=link.pk).select_related("calendar").first()
        if other is None:
            raise  # not the race this answers
        raise InvalidValue(
            "The team was linked to another calendar meanwhile.",
            details={"team": [f"The team “{link.team}” already has a business calendar: “{other.calendar}”."]},
        ) from None


class TeamCalendarInline(admin.TabularInline):
    model = TeamCalendar
    form = TeamCalendarForm
    formset = TeamCalendarFormSet
    extra = 0
    verbose_name = "team working these hours"
    verbose_name_plural = "teams working these hours"


class ClocksLockedFirstMixin:
    """Each deletion locks its rows (in id order) before Django lists what goes with them, their running clocks
    before the rows themselves (_rows_locked). `clocks_naming`: SlaClock's foreign key to the admin's model.

    A ticket's write keeps the policy and the calendar its clocks are about to name until its commit
    (sla.services._kept), after its own clocks' lock. So the deletion waits for a write that started a clock on the
    row, or moved one to it, and then unsets that clock too; and a write that comes later waits for the deletion,
    then picks another policy or calendar. Listed first, the new clock was missed, and the deletion or the write failed
    at commit on the clock's foreign key (a 500)."""

    clocks_naming: str

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        with transaction.atomic():
            self._rows_locked(type(obj)._default_manager.filter(pk=obj.pk))
            super().delete_model(request, obj)  # type: ignore[misc]

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        rows = queryset.model._default_manager.filter(pk__in=self._rows_locked(queryset))
        super().delete_queryset(request, rows)  # type: ignore[misc]

    def _rows_locked(self, rows: QuerySet) -> list[int]:
        """Lock these rows until the commit, in id order (as whoever locks several takes them:
        tickets.services.common.lock_order), their running clocks first (_running_clocks_locked); the ids of those
        still there."""
        pks = list(rows.values_list("pk", flat=True))  # the list's own query may be one FOR UPDATE cannot take
        _running_clocks_locked(self.clocks_naming, pks)
        locked = rows.model._default_manager.select_for_update().filter(pk__in=pks).order_by("pk")
        return list(locked.values_list("pk", flat=True))


def _running_clocks_locked(field: str, pks: list[int]) -> None:
    """Lock the running clocks naming these rows (by `field`: their calendar, their policy), in the order a ticket's
    write locks its own (SlaClock's ordering: sla.services.sla_clocks_update), before the rows themselves.

    A ticket's write locks its running clocks and then writes a clock naming a calendar (a clock started, or moved to
    it), whose foreign key takes the calendar at the commit: clocks, then the calendar. Django's deletion unsets the
    calendar of its clocks, so holding the calendar first it waited for the ticket's clocks while the ticket's
    commit waited for the calendar, and PostgreSQL ended one of the two (a 503). Taken first, a clock held by a
    ticket's write is waited for until that write commits, and a write that comes later waits for the deletion,
    then reads its clocks with the calendar unset (and the team's calendar gone). A policy's clocks the same."""
    running = SlaClock.objects.running().select_for_update().filter(**{f"{field}_id__in": pks})
    list(running.order_by("started_at", "id").values_list("pk", flat=True))


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(
    ClocksLockedFirstMixin, ServiceErrorsAsMessagesMixin, RefreshOpenTicketsMixin, admin.ModelAdmin
):
    list_display = ("name", "time_zone", "holiday_country", "holiday_region", "is_default")
    inlines = [OpeningHoursInline, SpecialDayInline, TeamCalendarInline]
    # A team's link saved meanwhile keeps the calendar too (TeamCalendarForm), so the deletion waits for it and then
    # takes the new link, where it listed the links first and failed at commit on the new one's foreign key (a 500).
    clocks_naming = "calendar"


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ClocksLockedFirstMixin, ListedRowsKeptMixin, RefreshOpenTicketsMixin, admin.ModelAdmin):
    form = ConfiguredRowsKeptForm
    clocks_naming = "policy"
    list_display = ("name", "position", "is_active", "conditions")
    list_editable = ("position", "is_active")
    inlines = [SlaTargetInline]


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "metric", "policy", "started_at", "due_at", "breached_at", "met_at", "stopped_at")
    list_select_related = ("ticket", "policy")
    list_filter = ("metric", "policy", ("breached_at", admin.EmptyFieldListFilter))
    search_fields = ("=ticket__id",)
    show_full_result_count = False


@admin.register(EscalationNotice)
class EscalationNoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("clock", "kind", "send_after", "sent_at", "attempts", "failed_at")
    list_select_related = ("clock__ticket",)
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter))
