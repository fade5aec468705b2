"""The dashboard's filters, read from the query string by the page and the API alike."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms

from accounts.models import User
from reports.selectors import ReportFilters, default_filters
from tickets.models import Category, Team

MAX_DAYS = 366
EARLIEST = date(2000, 1, 1)  # and LATEST: far enough from date.min/max that the previous period is a date too
LATEST = date(2100, 12, 31)


def _default_start(end: date) -> date:
    """29 days before the end; never before date.min, which an end in year 1's first days would reach (the
    range check then refuses that end rather than the arithmetic failing)."""
    return end - timedelta(days=29) if end - date.min >= timedelta(days=29) else date.min


class ReportFilterForm(forms.Form):
    start = forms.DateField(required=False, help_text="First day (YYYY-MM-DD). Default: 29 days before the end.")
    end = forms.DateField(required=False, help_text="Last day, included (YYYY-MM-DD). Default: today.")
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, empty_label="All teams")
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False, empty_label="All categories")
    agent = forms.ModelChoiceField(
        queryset=User.objects.staff().order_by("name", "email"),
        required=False,
        empty_label="All agents",
        help_text="The tickets assigned to this agent, and their activity.",
    )

    def __init__(self, *args: object, today: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["start"].widget = forms.DateInput(attrs={"type": "date"})
        self.fields["end"].widget = forms.DateInput(attrs={"type": "date"})

    def clean(self) -> dict[str, object]:
        data = super().clean()
        end = data.get("end") or self.today
        start = data.get("start") or _default_start(end)
        for name, day in (("start", start), ("end", end)):
            if not EARLIEST <= day <= LATEST:
                self.add_error(name, f"Choose a day between {EARLIEST} and {LATEST}.")
        if start > end:
            self.add_error("start", "The first day must not be after the last.")
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("start", f"Choose at most {MAX_DAYS} days.")
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> ReportFilters:
        """The valid filters, or the default ones (last 30 days, everything) when the form is not valid."""
        if not self.is_valid():
            return default_filters(self.today)
        data = self.cleaned_data
        return ReportFilters(
            start=data["start"],
            end=data["end"],
            team_id=data["team"].pk if data["team"] else None,
            category_id=data["category"].pk if data["category"] else None,
            agent_id=data["agent"].pk if data["agent"] else None,
        )
