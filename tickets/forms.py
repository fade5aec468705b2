"""Forms for the server-rendered pages. They validate and shape input; `tickets.services` does every write."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import django_filters
from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models import Model, QuerySet

from accounts.models import User
from helpdesk.errors import InvalidValue
from helpdesk.form_renderer import python_widget_renderer
from helpdesk.forms import (
    MessageTextarea,
    MultipleFileField,
    PageForm,
    ShownChoiceField,
    ShownModelChoiceField,
    ShownTypedChoiceField,
    SubmitTokenField,
    show_initial_values,
)
from helpdesk.sql import CompiledQuery
from tickets.etags import ticket_etag
from tickets.filters import ASSIGNEE_ME, ASSIGNEE_NONE, ID_MAX, SEARCH_MAX_CHARS, TicketFilter
from tickets.models import BODY_MAX_CHARS, Category, Priority, Status, Team, Ticket
from tickets.services import TicketChanges, normalize_tag_names
from tickets.services.attachments import refuse_empty_files
from tickets.services.links import LINK_LABELS
from tickets.workflow import ALLOWED_TRANSITIONS


class AttachmentsField(MultipleFileField):
    """A message's files. An empty one is refused here, naming it, by the rule every door follows
    (tickets.services.attachments), rather than by Django's own check, which says only "The submitted file is
    empty." and not which of the chosen files it is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = super().clean(data, initial)
        try:
            refuse_empty_files(files)
        except InvalidValue as refusal:
            raise forms.ValidationError(refusal.details["files"], code="empty") from refusal
        return files


class TicketNewForm(PageForm):
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        required=False,
        empty_label="Not sure",
        help_text="Choosing one sends your ticket straight to the right team.",
    )
    subject = forms.CharField(max_length=200)
    description = forms.CharField(
        max_length=BODY_MAX_CHARS,
        widget=MessageTextarea(attrs={"rows": 8}),
        help_text="What happened, what you expected, and anything you already tried.",
    )
    attachments = AttachmentsField(help_text="Screenshots or documents, optional.")
    submit_token = SubmitTokenField()

    def __init__(self, *args: Any, categories: QuerySet[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories


class ReplyForm(PageForm):
    body = forms.CharField(
        label="Message",
        max_length=BODY_MAX_CHARS,
        widget=MessageTextarea(attrs={"rows": 6}),
        help_text="Markdown is supported.",
    )
    attachments = AttachmentsField()
    # The requester's Send reply clicked twice posts one reply (helpdesk.idempotency.page_post_once).
    submit_token = SubmitTokenField()


class StaffTicketPageForm(PageForm):
    """The forms of the staff ticket page, which renders them on every view of a ticket: their widgets are written in
    Python (helpdesk.form_renderer)."""

    default_renderer = python_widget_renderer


class ReplyMode(models.TextChoices):
    """What the staff reply box sends. An explicit value on every post: there is no default that could send a note
    to the requester, and a post without it (an old page's `internal` checkbox) is refused."""

    REPLY = "reply", "Public reply"
    NOTE = "note", "Internal note"


# "Send and set status": the statuses the reply box's extra buttons move the ticket to.
THEN_STATUS_CHOICES = [("", "Keep the status"), (Status.PENDING, "Pending"), (Status.RESOLVED, "Resolved")]


class StaffReplyForm(ReplyForm):
    default_renderer = python_widget_renderer

    # The staff reply box is written in Python (python_widget_renderer) and does not render the requester's token.
    submit_token = None  # type: ignore[assignment]

    # Not required by itself: a macro may be actions only, applied without a message (see clean).
    body = forms.CharField(
        label="Message",
        max_length=BODY_MAX_CHARS,
        widget=MessageTextarea(attrs={"rows": 6}),
        help_text="Markdown is supported.",
        required=False,
    )
    mode = forms.ChoiceField(
        choices=ReplyMode.choices,
        widget=forms.RadioSelect,
        label="Send as",
        error_messages={"required": "Choose a public reply or an internal note."},
    )
    then_status = forms.ChoiceField(choices=THEN_STATUS_CHOICES, required=False)
    # A macro chosen on the page: its text fills the box, its actions are applied when the reply is sent.
    macro = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**63 - 1)
    # The newest message the agent had on screen: a reply sent after someone else wrote is held for a second look.
    seen_comment = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=2**63 - 1)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("body") and data.get("macro") is None:
            self.add_error("body", forms.ValidationError(self.fields["body"].error_messages["required"], "required"))
        return data

    @property
    def is_note(self) -> bool:
        value = self.data.get("mode") if self.is_bound else self.initial.get("mode")
        return value == ReplyMode.NOTE


def status_choices_from(status: str) -> list[tuple[str, str]]:
    """The current status and the ones the workflow allows next, in the workflow's own order."""
    allowed = ALLOWED_TRANSITIONS.get(status, frozenset())
    return [(value, label) for value, label in Status.choices if value == status or value in allowed]


def _pk(value: Model | None) -> object:
    return value.pk if value is not None else None


def assignee_choices(assignee_id: int | None) -> QuerySet[User]:
    """Whom the triage form may assign: staff, and the current assignee even if deactivated, so that saving other
    fields does not fail."""
    staff = User.objects.staff()
    return staff if assignee_id is None else staff | User.objects.filter(pk=assignee_id)


def _assignee_rows(*assignee_id: int) -> QuerySet[User, tuple[Any, ...]]:
    return assignee_choices(assignee_id[0] if assignee_id else None).values_list("id", "name", "email")


def _team_rows() -> QuerySet[Team, tuple[Any, ...]]:
    return Team.objects.values_list("id", "name")


def _category_rows() -> QuerySet[Category, tuple[Any, ...]]:
    return Category.objects.values_list("id", "name")


# The triage form's options as plain rows (their labels read nothing else), compiled once: the same queries on every
# view of a ticket. The categories depend on who looks (categories_visible_to): compiled once when they are all.
ASSIGNEE_ROWS = CompiledQuery(_assignee_rows)
TEAM_ROWS = CompiledQuery(_team_rows)
CATEGORY_ROWS = CompiledQuery(_category_rows)


def _options(field: forms.ModelChoiceField, options: Iterable[tuple[int, str]]) -> None:
    """Have the select list these (id, label) options, as the field would list its rows: the value an id, as
    ModelChoiceField.prepare_value gives, the label as the row's str() (a User's display_name, a Team's or a
    Category's name)."""
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.widget.choices = [*empty, *options]


class TicketPropertiesForm(StaffTicketPageForm):
    """The triage form. Its selects send `unchanged` for the values the page shows (helpdesk.forms.ShownValueSelect),
    so saving applies only what the agent changed, even on a page the browser restored from an older visit."""

    status = ShownChoiceField()
    priority = ShownTypedChoiceField(choices=[(p.value, p.label.capitalize()) for p in Priority], coerce=int)
    assignee = ShownModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Unassigned")
    team = ShownModelChoiceField(queryset=Team.objects.all(), required=False, empty_label="No team")
    category = ShownModelChoiceField(queryset=Category.objects.none(), required=False, empty_label="No category")
    tags = forms.CharField(required=False, help_text="Comma-separated, for example: billing, vip")
    # The version of the ticket this form was filled in from: saving is refused if it changed since.
    version = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, ticket: Ticket, categories: QuerySet[Category], **kwargs: Any) -> None:
        kwargs["initial"] = {
            "version": ticket_etag(ticket),
            "status": ticket.status,
            "priority": ticket.priority,
            "assignee": ticket.assignee_id,
            "team": ticket.team_id,
            "category": ticket.category_id,
            "tags": ", ".join(self._tag_names(ticket)),
        }
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.fields["status"].choices = status_choices_from(ticket.status)
        self.fields["assignee"].queryset = assignee_choices(ticket.assignee_id)
        self.fields["category"].queryset = categories
        show_initial_values(self)

    def read_choices(self) -> None:
        """Read the model selects' options now, only the columns their labels show as plain rows, rather than whole
        rows (and the categories' teams) while the page renders, or an instance per option. What is sent is still
        checked against each field's queryset."""
        assignee = [] if self.ticket.assignee_id is None else [self.ticket.assignee_id]
        users = ASSIGNEE_ROWS.rows(*assignee)
        _options(self.fields["assignee"], ((user_id, name or email) for user_id, name, email in users))
        _options(self.fields["team"], TEAM_ROWS.rows())
        categories = self.fields["category"].queryset
        if categories.query.where:  # not every category (staff see them all): the ORM's query of these
            _options(self.fields["category"], categories.select_related(None).values_list("id", "name"))
        else:
            _options(self.fields["category"], CATEGORY_ROWS.rows())

    @staticmethod
    def _tag_names(ticket: Ticket) -> list[str]:
        # Sorted in Python so a prefetched `tags` is used rather than a new query.
        return sorted(tag.name for tag in ticket.tags.all())

    def clean_tags(self) -> list[str]:
        try:
            return normalize_tag_names(self.cleaned_data["tags"].split(","))
        except InvalidValue as error:
            raise forms.ValidationError(error.details.get("tags", [error.message])) from error

    def changes(self) -> TicketChanges:
        """Only what differs from the ticket now, so the audit trail records real edits and nothing else."""
        data, ticket = self.cleaned_data, self.ticket
        changed: dict[str, Any] = {}
        if data["status"] != ticket.status:
            changed["status"] = data["status"]
        if data["priority"] != ticket.priority:
            changed["priority"] = data["priority"]
        for field in ("assignee", "team", "category"):
            if _pk(data[field]) != getattr(ticket, f"{field}_id"):
                changed[field] = data[field]
        if sorted(data["tags"]) != self._tag_names(ticket):
            changed["tags"] = data["tags"]
        return TicketChanges(**changed)


# The queue's sort options, each with a tie-breaker so pages never skip or repeat a ticket.
SORT_ORDERINGS: dict[str, tuple[str, ...]] = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "updated": ("-updated_at", "-id"),
    "priority": ("-priority", "-created_at", "-id"),
}
SORT_CHOICES = [
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("updated", "Recently updated"),
    ("priority", "Priority, high to low"),
]
DEFAULT_SORT = "newest"


class StaffQueueFilter(TicketFilter):
    """The API's ticket filters, shaped for an HTML form: status as checkboxes, assignee as a choice, a sort."""

    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, widget=forms.CheckboxSelectMultiple, method="filter_status"
    )
    priority = django_filters.ChoiceFilter(
        choices=[(p.label, p.label.capitalize()) for p in Priority],
        method="filter_priority",
        empty_label="Any priority",
    )
    assignee = django_filters.ChoiceFilter(
        choices=[(ASSIGNEE_ME, "Me"), (ASSIGNEE_NONE, "Unassigned")],
        empty_label="Anyone",
        method="filter_assignee",
    )
    q = django_filters.CharFilter(
        method="filter_text",
        label="Search",
        max_length=SEARCH_MAX_CHARS,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, empty_label=None, method="sort_tickets", label="Sort by")

    class Meta(TicketFilter.Meta):
        form = PageForm

    def filter_queryset(self, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        return super().filter_queryset(queryset.order_by(*SORT_ORDERINGS[DEFAULT_SORT]))

    def filter_status(self, queryset: QuerySet[Ticket], name: str, value: list[str]) -> QuerySet[Ticket]:
        """One `status IN (...)`, which the status index answers; django-filter would OR one equality per status,
        which PostgreSQL can only check row by row (120 ms for the open queue's count at 1M tickets)."""
        return queryset.filter(status__in=value)

    def sort_tickets(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return queryset.order_by(*SORT_ORDERINGS[value])


def _ticket_number(value: str) -> int:
    """“#123” or “123”; anything else is refused with a message, never an error page."""
    text = value.strip().lstrip("#").strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= 2**63 - 1:
        raise forms.ValidationError("Enter a ticket number, for example 123 or #123.")
    return int(text)


class TicketNumberField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int:
        return _ticket_number(super().clean(value))


class TicketLinkForm(StaffTicketPageForm):
    relation = forms.ChoiceField(label="This ticket is", choices=[])
    other = TicketNumberField(label="Ticket number")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["relation"].choices = [(value, label.lower()) for value, label in LINK_LABELS.items()]


class AssignMeForm(StaffTicketPageForm):
    """The "Assign to me" button. It carries whom the page showed as the assignee (empty: nobody), so a ticket
    someone else took since the page was loaded is not taken from them (tickets.services.ticket_take)."""

    shown_assignee = forms.IntegerField(required=False, min_value=1, max_value=ID_MAX, widget=forms.HiddenInput)


class TicketMergeForm(StaffTicketPageForm):
    into = TicketNumberField(label="Merge into ticket number")
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class StaffTicketNewForm(PageForm):
    """Staff open a ticket for a requester: an existing account by its address, or a new one (address + name)."""

    requester_email = forms.EmailField(
        label="Requester's email",
        max_length=254,
        help_text="An existing requester's address, or a new one: an account is created for it.",
    )
    requester_name = forms.CharField(
        label="Requester's name", max_length=150, required=False, help_text="Used only when the account is new."
    )
    subject = forms.CharField(max_length=200)
    description = forms.CharField(max_length=BODY_MAX_CHARS, widget=MessageTextarea(attrs={"rows": 6}), required=False)
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False, empty_label="No category")
    priority = forms.TypedChoiceField(
        choices=[(p.value, p.label.capitalize()) for p in Priority], coerce=int, initial=Priority.NORMAL
    )
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Unassigned")
    attachments = AttachmentsField()
    submit_token = SubmitTokenField()

    def __init__(self, *args: Any, categories: QuerySet[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["assignee"].queryset = User.objects.staff()
