"""The queue page's filter form, and the forms that save a view and apply a bulk action."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from accounts.models import User
from helpdesk.forms import PageForm
from tickets.filters import ASSIGNEE_ME, ASSIGNEE_NONE
from tickets.forms import StaffQueueFilter
from tickets.models import Category, Priority, Status, Team


class QueueFilter(StaffQueueFilter):
    """The staff queue's filters: the API's, with the assignee chosen by name and a "my teams" choice."""

    assignee = django_filters.ChoiceFilter(choices=[], empty_label="Anyone", method="filter_assignee")
    my_teams = django_filters.BooleanFilter(
        method="filter_my_teams",
        label="Teams",
        widget=forms.Select(choices=[("", "Any team"), ("true", "Only my teams")]),
    )

    def __init__(self, *args: Any, agents: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(ASSIGNEE_ME, "Me"), (ASSIGNEE_NONE, "Unassigned")]
        choices += [(str(agent.pk), agent.display_name) for agent in agents]
        self.filters["assignee"].extra["choices"] = choices


class SaveViewForm(PageForm):
    name = forms.CharField(max_length=100, label="View name")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="Only me", label="Share with"
    )
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class RenameViewForm(PageForm):
    name = forms.CharField(max_length=100, label="View name")


NO_CHANGE = ""


class BulkForm(PageForm):
    """What to do with the selected tickets: each select left at "no change" is left alone."""

    ticket = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=[])
    all_matching = forms.BooleanField(required=False, label="All tickets matching the filters")
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)
    assignee = forms.ChoiceField(required=False, label="Assignee")
    status = forms.ChoiceField(required=False, choices=[(NO_CHANGE, "No change"), *Status.choices], label="Status")
    priority = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(NO_CHANGE, "No change"), *((p.value, p.label.capitalize()) for p in Priority)],
        label="Priority",
    )
    team = forms.ChoiceField(required=False, label="Team")
    category = forms.ChoiceField(required=False, label="Category")
    add_tags = forms.CharField(required=False, max_length=500, label="Add tags")
    remove_tags = forms.CharField(required=False, max_length=500, label="Remove tags")

    def __init__(
        self, *args: Any, agents: QuerySet[User], teams: QuerySet[Team], categories: QuerySet[Category], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            (NO_CHANGE, "No change"),
            ("none", "Nobody (unassign)"),
            *((str(agent.pk), agent.display_name) for agent in agents),
        ]
        self.fields["team"].choices = [
            (NO_CHANGE, "No change"),
            ("none", "No team"),
            *((str(team.pk), team.name) for team in teams),
        ]
        self.fields["category"].choices = [
            (NO_CHANGE, "No change"),
            ("none", "No category"),
            *((str(category.pk), category.name) for category in categories),
        ]
