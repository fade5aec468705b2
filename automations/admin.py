"""Rules are edited here (saved through automations.services); the run log is read-only; availability is set
here or by each agent on their Away page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from automations.models import Availability, Rule, RuleRun, TimeRuleFiring
from automations.services import agent_set_away, rule_save
from helpdesk.admin_support import MESSAGE_TEXTAREAS, ConfiguredRowsKeptForm, ReadOnlyAdminMixin


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = ConfiguredRowsKeptForm
    formfield_overrides = MESSAGE_TEXTAREAS
    list_display = ("name", "trigger", "position", "is_active", "conditions", "run_log")
    list_filter = ("trigger", "is_active")
    search_fields = ("name",)
    autocomplete_fields = ("assign_to",)
    fieldsets = [
        (None, {"fields": ("name", "is_active", "trigger", "position", "conditions")}),
        ("Time-based rules", {"fields": ("after_minutes", "time_base", "business_hours")}),
        (
            "Actions",
            {
                "fields": (
                    "set_status",
                    "set_priority",
                    "set_team",
                    "set_category",
                    "add_tags",
                    "assign",
                    "assign_to",
                    "internal_note",
                    "notify",
                    "notification_subject",
                    "notification_body",
                )
            },
        ),
    ]

    @admin.display(description="Run log")
    def run_log(self, rule: Rule) -> str:
        url = reverse("admin:automations_rulerun_changelist") + f"?rule__id__exact={rule.pk}"
        return format_html('<a href="{}">Runs</a>', url)

    def save_model(self, request: HttpRequest, obj: Rule, form: Any, change: bool) -> None:
        rule_save(rule=obj, named_rows_kept=True)  # by the form (ConfiguredRowsKeptForm), in this transaction


@admin.register(RuleRun)
class RuleRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Why each rule fired or did not, per ticket (search #id) and per rule (filter)."""

    list_display = ("created_at", "rule", "ticket", "outcome", "reason", "event")
    list_select_related = ("rule", "ticket", "event")
    list_filter = ("outcome", "rule")
    search_fields = ("=ticket__id", "rule__name")
    show_full_result_count = False


@admin.register(TimeRuleFiring)
class TimeRuleFiringAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("rule", "ticket", "episode_start", "fired_at")
    list_select_related = ("rule", "ticket")
    list_filter = ("rule",)
    search_fields = ("=ticket__id",)


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    list_display = ("user", "is_away", "changed_at")
    list_filter = ("is_away",)
    autocomplete_fields = ("user",)
    readonly_fields = ("changed_at",)

    def save_model(self, request: HttpRequest, obj: Availability, form: Any, change: bool) -> None:
        saved = agent_set_away(user=obj.user, away=obj.is_away)
        obj.__dict__.update(saved.__dict__)
