"""The queue page's filter form, and the forms that save a view and apply a bulk action."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from accounts.models import User
from helpdesk.errors import InvalidValue
from helpdesk.filtersets import TrueOrFalseFilter
from helpdesk.form_renderer import python_widget_renderer
from helpdesk.forms import PageForm, model_choices
from queues.selectors import NamedRow, condition_rows
from queues.services import BulkChanges
from tickets.filters import (
    ASSIGNEE_ME,
    ASSIGNEE_NONE,
    ID_PATTERN,
    WITHIN_DAYS_MAX,
    IdFilter,
    UtcIsoDateTimeFilter,
    WithinDaysFilter,
)
from tickets.forms import StaffQueueFilter
from tickets.models import Category, Channel, Priority, Status, Team, Ticket
from tickets.services import normalize_tag_names


class QueuePageForm(PageForm):
    """The queue's forms render on every page of it: their widgets are written in Python (helpdesk.form_renderer)."""

    default_renderer = python_widget_renderer


class KeptConditionCheckbox(forms.CheckboxInput):
    """A condition held by an id (a view's, a link's), shown as a line that says what it names rather than an id to
    type: ticked, it sends its value as it came; unticked, the condition is dropped."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


# The conditions the form shows as a kept line (KeptConditionCheckbox), with what no row means for each.
ID_CONDITIONS = {"requester": "no such user", "form": "no such form"}


class QueueFilter(StaffQueueFilter):
    """The staff queue's filters: the API's, with the assignee chosen by name and a "my teams" choice."""

    class Meta(StaffQueueFilter.Meta):
        form = QueuePageForm

    assignee = django_filters.ChoiceFilter(choices=[], empty_label="Anyone", method="filter_assignee")
    # As the API's: a word other than true or false is an error by the field, and the page lists no ticket.
    my_teams = TrueOrFalseFilter(
        method="filter_my_teams",
        label="Teams",
        widget=forms.Select(choices=[("", "Any team"), ("true", "Only my teams"), ("false", "Not my teams")]),
    )
    # The time conditions a view may hold ("Recently solved" holds `updated_within`): shown, so that applying the form
    # keeps them rather than listing every ticket ever solved. Checked as the API checks them (TicketFilter's).
    updated_within = WithinDaysFilter(
        field_name="updated_at",
        label="Updated in the last (days)",
        help_text=f"A number of days, 1 to {WITHIN_DAYS_MAX:,}: the window moves with the time.",
    )
    updated_after = UtcIsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label="Updated since",
        help_text="A fixed moment, for example 2026-01-31T09:00:00Z; without an offset, in the site's time zone.",
    )
    # The other conditions a view or a link may hold (views are saved through the API too): each shown, so that
    # applying the form, or saving it as a view, keeps it rather than widening the list.
    channel = django_filters.ChoiceFilter(choices=Channel.choices, empty_label="Any channel", label="Channel")
    created_after = UtcIsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        label="Created since",
        help_text="A fixed moment, for example 2026-01-31T09:00:00Z; without an offset, in the site's time zone.",
    )
    requester = IdFilter(
        field_name="requester_id", label="Requester", widget=KeptConditionCheckbox, help_text="Untick to drop it."
    )
    # Declared here as well as on TicketFilter: django-filter drops an inherited filter whose name the subclass uses
    # for anything else, and `form` is the FilterSet's form.
    form = IdFilter(
        field_name="submission__version__form_id",
        label="Form",
        widget=KeptConditionCheckbox,
        help_text="Untick to drop it.",
    )

    def __init__(
        self,
        *args: Any,
        agents: Iterable[User],
        teams: Iterable[Team] | None = None,
        categories: Iterable[Category] | None = None,
        **kwargs: Any,
    ) -> None:
        """`teams` and `categories`, when given, are the options the page lists (rows it reads once for every form
        on it); the choices sent are checked against the filters' own querysets all the same."""
        super().__init__(*args, **kwargs)
        listed = [(str(agent.pk), agent.display_name) for agent in agents]
        self.former_assignee = self._former_assignee({pk for pk, _ in listed})
        choices = [(ASSIGNEE_ME, "Me"), (ASSIGNEE_NONE, "Unassigned")]
        self.assignee_choices = choices + listed + list(self.former_assignee)
        self.options = {name: rows for name, rows in (("team", teams), ("category", categories)) if rows is not None}
        self.condition_labels = self._condition_labels()
        form = self.form
        form.fields["assignee"].choices = self.assignee_choices
        for name, rows in self.options.items():
            model_choices(form.fields[name], rows)
        for name, label in self.condition_labels:
            form.fields[name].label = label

    def _former_assignee(self, listed: set[str]) -> tuple[tuple[str, str], ...]:
        """The assignee asked for when the agents listed no longer include them (deactivated, or made a requester),
        as a choice: the tickets still assigned to them are theirs until reassigned, and a view of them lists them,
        as its count in the sidebar and the API do. Nothing for an id that is no one's."""
        value = self.data.get("assignee", "")
        if not isinstance(value, str) or not re.fullmatch(ID_PATTERN, value) or value in listed:
            return ()
        former = User.objects.filter(pk=int(value)).first()
        return () if former is None else ((value, f"{former.display_name} (no longer an agent)"),)

    def _condition_labels(self) -> tuple[tuple[str, str], ...]:
        """What the form shows for each condition held by an id: "Requester: Alice (alice@example.com)", "Form: Bug
        report", the names read in one query for the page. A value that is no id is shown as sent, with the field's
        error; an id no row has says so (the list is then empty)."""
        sent = {name: self._sent(name) for name in ID_CONDITIONS}
        ids = {name: int(value) if re.fullmatch(ID_PATTERN, value) else None for name, value in sent.items()}
        rows = condition_rows(requester_id=ids["requester"], form_id=ids["form"]) if any(ids.values()) else {}
        return tuple(
            (name, f"{self.base_filters[name].label}: {_named(value, rows.get(name), ID_CONDITIONS[name])}")
            for name, value in sent.items()
            if value
        )

    def _sent(self, name: str) -> str:
        value = self.data.get(name, "")
        return value if isinstance(value, str) else ""

    def id_conditions(self) -> list[forms.BoundField]:
        """The form's fields for the conditions held by an id that the page's query holds, shown as kept lines."""
        return [self.form[name] for name, _label in self.condition_labels]


def _named(value: str, row: NamedRow | None, missing: str) -> str:
    if not re.fullmatch(ID_PATTERN, value):
        return value
    if row is None:
        return f"#{value} ({missing})"
    return f"{row.name} ({row.detail})" if row.name and row.detail else row.name or row.detail


class SaveViewForm(QueuePageForm):
    name = forms.CharField(max_length=100, label="View name")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="Only me", label="Share with"
    )
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)

    def __init__(self, *args: Any, teams: QuerySet[Team], listed: Iterable[Team] | None = None, **kwargs: Any) -> None:
        """`listed`, when given, are the teams the page lists (rows it has read already); the team sent is checked
        against `teams` all the same."""
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        model_choices(self.fields["team"], teams if listed is None else listed)


NO_CHANGE = ""
NOBODY = "none"
BULK_LIMIT = 1000


class TicketIdsField(forms.Field):
    """The ticked rows: ticket ids, each a whole number a database can store."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        if len(values) > BULK_LIMIT:
            raise forms.ValidationError(f"Select at most {BULK_LIMIT:,} tickets at once.")
        ids = []
        for item in values:
            if not re.fullmatch(ID_PATTERN, str(item)):
                raise forms.ValidationError("Not a ticket id.")
            ids.append(int(item))
        return ids


class BulkForm(QueuePageForm):
    """What to do with the selected tickets: each field left at "no change" is left alone."""

    ticket = TicketIdsField(required=False)
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
    add_tags = forms.CharField(required=False, max_length=500, label="Add tags", help_text="Comma-separated")
    remove_tags = forms.CharField(required=False, max_length=500, label="Remove tags", help_text="Comma-separated")
    merge_into = forms.RegexField(
        regex=rf"^#?{ID_PATTERN}$",
        required=False,
        max_length=20,
        label="Merge into ticket",
        help_text="A ticket number: the selected tickets are merged into it (on its own, without other changes).",
    )

    def __init__(
        self,
        *args: Any,
        agents: Sequence[User] | QuerySet[User],
        teams: Sequence[Team] | QuerySet[Team],
        categories: Sequence[Category] | QuerySet[Category],
        tickets: QuerySet[Ticket],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.agents, self.teams, self.categories, self.tickets = agents, teams, categories, tickets
        self.fields["assignee"].choices = [
            (NO_CHANGE, "No change"),
            (ASSIGNEE_ME, "Me"),
            (NOBODY, "Nobody (unassign)"),
            *((str(agent.pk), agent.display_name) for agent in agents),
        ]
        self.fields["team"].choices = [
            (NO_CHANGE, "No change"),
            (NOBODY, "No team"),
            *((str(team.pk), team.name) for team in teams),
        ]
        self.fields["category"].choices = [
            (NO_CHANGE, "No change"),
            (NOBODY, "No category"),
            *((str(category.pk), category.name) for category in categories),
        ]

    def _tags(self, name: str) -> list[str]:
        try:
            return normalize_tag_names(self.cleaned_data[name].split(","))
        except InvalidValue as error:
            raise forms.ValidationError(error.details.get("tags", [error.message])) from error

    def clean_add_tags(self) -> list[str]:
        return self._tags("add_tags")

    def clean_remove_tags(self) -> list[str]:
        return self._tags("remove_tags")

    def clean_merge_into(self) -> Ticket | None:
        number = self.cleaned_data["merge_into"].lstrip("#")
        if not number:
            return None
        target = self.tickets.filter(pk=int(number)).first()
        if target is None:
            raise forms.ValidationError(f"There is no ticket #{number}.")
        return target

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("all_matching") and not data.get("ticket"):
            raise forms.ValidationError("Select some tickets first, or tick “all matching”.")
        others = ("assignee", "status", "team", "category", "add_tags", "remove_tags")
        if data.get("merge_into") and (any(data.get(name) for name in others) or data.get("priority") is not None):
            raise forms.ValidationError("Merge on its own: leave the other fields at “No change”.")
        return data

    def changes(self, actor: User) -> BulkChanges:
        """The chosen values as objects; fields left at "no change" stay UNSET."""
        data = self.cleaned_data
        chosen: dict[str, Any] = {}
        if data["assignee"] == ASSIGNEE_ME:
            chosen["assignee"] = actor
        elif data["assignee"]:
            chosen["assignee"] = _pick(data["assignee"], self.agents)
        if data["status"]:
            chosen["status"] = data["status"]
        if data["priority"] is not None:
            chosen["priority"] = data["priority"]
        if data["team"]:
            chosen["team"] = _pick(data["team"], self.teams)
        if data["category"]:
            chosen["category"] = _pick(data["category"], self.categories)
        return BulkChanges(
            **chosen, add_tags=data["add_tags"], remove_tags=data["remove_tags"], merge_into=data["merge_into"]
        )


def _pick(value: str, choices: QuerySet[Any]) -> Any:
    """The chosen row (the choices were built from the same rows), or None for "nobody"."""
    return None if value == NOBODY else choices.get(pk=int(value))
