"""The Django admin for tickets. Every ticket write goes through tickets.services, so admin edits are audited.

Reference data (teams, categories, tags) has no workflow or audit trail and is saved by the admin directly; deleting
a team, a tag or a category goes through tickets.services, which changes the tickets that had it (a category's keep
it, and keep it from going) and refuses it when configuration names it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.validators import MaxLengthValidator
from django.db.models import Count, QuerySet
from django.forms.formsets import BaseFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import User
from accounts.permissions import why_cannot_be_assigned
from accounts.selectors import ADDRESS_RESERVED, address_reserved
from events.services import one_edit
from helpdesk.admin_support import (
    MESSAGE_TEXTAREAS,
    ConfiguredRowsKeptForm,
    DeletionRefusedMixin,
    ReadOnlyAdminMixin,
    ServiceDeletionMixin,
    ServiceErrorsAsMessagesMixin,
    adopt_saved,
    counted,
)
from helpdesk.errors import DomainError
from helpdesk.forms import ShownTypedChoiceField, show_initial_values
from tickets.etags import ticket_etag
from tickets.models import (
    BODY_MAX_CHARS,
    Attachment,
    Category,
    Channel,
    Comment,
    Status,
    Tag,
    Team,
    Ticket,
    TicketEvent,
)
from tickets.permissions import TRIAGE_FIELDS
from tickets.services import (
    REQUESTER_INACTIVE,
    TicketChanges,
    comment_create,
    rows_an_edit_names,
    ticket_change_status,
    ticket_create,
    ticket_edit_content,
    ticket_lock_unchanged,
    ticket_update,
)
from tickets.services.removal import category_delete, removal_refusals, removals_lock, tag_delete, team_delete
from tickets.services.tags import tag_rename
from tickets.workflow import ALLOWED_TRANSITIONS, is_allowed_transition

TICKET_TIMESTAMPS = ("created_at", "updated_at", "first_response_at", "resolved_at", "closed_at")


# --- reference data ---------------------------------------------------------------------------------------


@admin.register(Team)
class TeamAdmin(DeletionRefusedMixin, ServiceDeletionMixin, admin.ModelAdmin):
    deletion_refusals = staticmethod(removal_refusals)
    list_display = ("name", "member_count")
    search_fields = ("name",)
    # The model limits members to agents and admins; the autocomplete applies the same limit.
    autocomplete_fields = ("members",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, team: Team) -> int:
        return team.member_count

    def lock_selected(self, objs: list[Team]) -> None:
        removals_lock(rows=objs)

    def delete_one(self, request: HttpRequest, obj: Team) -> None:
        team_delete(team=obj, actor=request.user)


@admin.register(Category)
class CategoryAdmin(DeletionRefusedMixin, ServiceDeletionMixin, admin.ModelAdmin):
    form = ConfiguredRowsKeptForm
    # Its tickets protect it already (PROTECT); rules, mailboxes and SLA policies naming it do so here.
    deletion_refusals = staticmethod(removal_refusals)
    list_display = ("name", "slug", "default_team", "is_active")
    list_filter = ("is_active", "default_team")
    list_select_related = ("default_team",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("default_team",)

    def delete_one(self, request: HttpRequest, obj: Category) -> None:
        category_delete(category=obj, actor=request.user)


@admin.register(Tag)
class TagAdmin(DeletionRefusedMixin, ServiceDeletionMixin, admin.ModelAdmin):
    deletion_refusals = staticmethod(removal_refusals)
    list_display = ("name", "ticket_count")
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(ticket_count=Count("tickets"))

    @admin.display(description="tickets", ordering="ticket_count")
    def ticket_count(self, tag: Tag) -> int:
        return tag.ticket_count

    def save_model(self, request: HttpRequest, obj: Tag, form: forms.ModelForm, change: bool) -> None:
        if change:
            # Its tickets keep the tag: one tag.renamed event, from which their search documents and SLA clocks are
            # brought up to date by the worker.
            tag_rename(tag=obj, name=obj.name, actor=request.user)
        else:
            super().save_model(request, obj, form, change)

    def lock_selected(self, objs: list[Tag]) -> None:
        removals_lock(rows=objs)

    def delete_one(self, request: HttpRequest, obj: Tag) -> None:
        tag_delete(tag=obj, actor=request.user)


# --- tickets ----------------------------------------------------------------------------------------------


class TicketAdminForm(forms.ModelForm):
    # The version the editor started from: a save over someone else's newer change is refused, not applied.
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Ticket
        fields = ("subject", "description", "requester", "status", "priority", "category", "team", "assignee", "tags")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = ticket_etag(self.instance)
            # Its plain selects send "unchanged" for the shown values, like the staff page's (ShownValueSelect):
            # a page the browser restored from an older visit writes back nothing the editor did not change. The
            # related fields are autocompletes, which render only the current option and cannot come back stale.
            for name in ("status", "priority"):
                if name in self.fields:
                    self.fields[name] = _keeping_shown_value(self.fields[name])
            show_initial_values(self)
            if len(self.instance.description) > BODY_MAX_CHARS:
                _allow_saved_longer_text(self.fields["description"])

    def clean_description(self) -> str:
        # A description saved longer than the limit (before it existed) may stay as it is; a changed one must fit.
        description = self.cleaned_data.get("description", "")
        if "description" in self.changed_data and len(description) > BODY_MAX_CHARS:
            raise forms.ValidationError(
                f"Ensure this value has at most {BODY_MAX_CHARS} characters (it has {len(description)})."
            )
        return description

    def clean_requester(self) -> User | None:
        requester = self.cleaned_data.get("requester")
        if not self.instance.pk and requester is not None and not requester.is_active:
            raise forms.ValidationError(REQUESTER_INACTIVE)  # ticket_create's rule, next to the field
        if not self.instance.pk and requester is not None and address_reserved(requester.email):
            raise forms.ValidationError(ADDRESS_RESERVED)  # the automations' actor, say: ticket_create refuses it too
        return requester

    def clean_assignee(self) -> User | None:
        # ticket_update's rule, next to the field: the autocomplete offers deactivated agents too. An unchanged
        # assignee is left alone (the service is not asked about it).
        assignee = self.cleaned_data.get("assignee")
        problem = why_cannot_be_assigned(assignee) if assignee is not None else None
        if problem and "assignee" in self.changed_data:
            raise forms.ValidationError(problem)
        return assignee

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # Checked here, with the workflow's own table, so a refused move is a form error and not a service error.
        # self.instance still holds the stored status: the form copies its values onto it only after clean().
        old, new = self.instance.status, cleaned.get("status")
        if self.instance.pk and "status" in self.changed_data and not is_allowed_transition(old, new):
            allowed = ", ".join(sorted(ALLOWED_TRANSITIONS.get(old, ()))) or "nothing"
            self.add_error("status", f"A ticket cannot move from {old} to {new}. Allowed from {old}: {allowed}.")
        return cleaned


def _allow_saved_longer_text(field: forms.CharField) -> None:
    """Lets the field take back the longer text it shows, so the ticket's other fields can still be saved."""
    field.max_length = None
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.widget.attrs.pop("maxlength", None)


def _keeping_shown_value(field: forms.TypedChoiceField) -> ShownTypedChoiceField:
    return ShownTypedChoiceField(
        choices=field.choices,
        coerce=field.coerce,
        empty_value=field.empty_value,
        required=field.required,
        label=field.label,
        help_text=field.help_text,
    )


def _versions(form: TicketAdminForm) -> list[str] | None:
    version = form.cleaned_data.get("version")
    return [version] if version else None


def triage_changes_from(form: TicketAdminForm) -> TicketChanges:
    """Only the triage fields the user actually changed, so ticket_update records exactly those."""
    changed = {}
    # Triage fields are audited: ticket_update records one TicketEvent per changed field.
    for field in TRIAGE_FIELDS:
        if field in form.changed_data:
            value = form.cleaned_data[field]
            changed[field] = [tag.name for tag in value] if field == "tags" else value
    return TicketChanges(**changed)


class CommentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Comment
    fields = ("created_at", "author", "internal", "body")
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Comment]:
        return super().get_queryset(request).select_related("author")


class TicketEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketEvent
    fields = ("created_at", "kind", "field", "old_value", "new_value", "actor", "internal")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "history"

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketEvent]:
        return super().get_queryset(request).select_related("actor")


@admin.register(Ticket)
class TicketAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    formfield_overrides = MESSAGE_TEXTAREAS
    form = TicketAdminForm
    list_display = (
        "id",
        "subject",
        "status",
        "priority",
        "requester",
        "assignee",
        "team",
        "category",
        "created_at",
        "updated_at",
    )
    list_display_links = ("id", "subject")
    list_filter = ("status", "priority", "team", "category", ("assignee", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("requester", "assignee", "team", "category")
    search_fields = ("subject", "description", "requester__email")
    autocomplete_fields = ("requester", "assignee", "team", "category", "tags")
    inlines = (CommentInline, TicketEventInline)
    actions = ("mark_resolved",)
    add_fieldsets = (
        (None, {"fields": ("requester", "subject", "description", "category", "priority")}),
        ("Triage", {"fields": ("team", "assignee", "tags")}),
    )
    change_fieldsets = (
        (None, {"fields": ("requester", "subject", "description", "status", "priority", "version")}),
        ("Triage", {"fields": ("category", "team", "assignee", "tags")}),
        ("Timeline", {"fields": TICKET_TIMESTAMPS}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Ticket | None = None) -> Any:
        # A new ticket always starts as "new" (ticket_create decides), so its status is not asked for.
        return self.change_fieldsets if obj else self.add_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Ticket | None = None) -> tuple[str, ...]:
        # Who asked does not change after the fact, and the timestamps are the services' to keep.
        return ("requester", *TICKET_TIMESTAMPS) if obj else ()

    def get_inlines(self, request: HttpRequest, obj: Ticket | None) -> tuple[type[admin.TabularInline], ...]:
        return self.inlines if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        # Tickets are closed, not deleted: deleting would erase the audit trail with them.
        return False

    def save_model(self, request: HttpRequest, obj: Ticket, form: TicketAdminForm, change: bool) -> None:
        if change:
            self._save_change(request, obj, form)
        else:
            adopt_saved(obj, self._create(request, form))

    def _create(self, request: HttpRequest, form: TicketAdminForm) -> Ticket:
        data = form.cleaned_data
        return ticket_create(
            requester=data["requester"],
            subject=data["subject"],
            description=data["description"],
            category=data["category"],
            priority=data["priority"],
            actor=request.user,
            team=data["team"],
            assignee=data["assignee"],
            tags=[tag.name for tag in data["tags"]],
            channel=Channel.STAFF,
        )

    @one_edit()  # the text and the triage fields saved together are one change, as rules see it
    def _save_change(self, request: HttpRequest, ticket: Ticket, form: TicketAdminForm) -> None:
        versions = _versions(form)
        changes = triage_changes_from(form)
        if versions:
            # Holds the row lock for the admin's whole save, so the checks and writes below see no other edit; what
            # the edit names kept first, as ticket_update would before a lock of its own.
            also = rows_an_edit_names(actor=request.user, changes=changes)
            ticket_lock_unchanged(ticket=ticket, expected_etags=versions, also=also)
        if {"subject", "description"} & set(form.changed_data):
            ticket = ticket_edit_content(
                ticket=ticket,
                actor=request.user,
                subject=form.cleaned_data["subject"],
                description=form.cleaned_data["description"],
            )
        if vars(changes) != vars(TicketChanges()):
            ticket_update(ticket=ticket, actor=request.user, changes=changes)

    def save_related(
        self, request: HttpRequest, form: TicketAdminForm, formsets: list[BaseFormSet], change: bool
    ) -> None:
        # Not form.save_m2m(): the tags were set by the service, with their audit event. Inlines still save.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description="Mark resolved", permissions=["change"])
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        changed, refused = 0, 0
        for ticket in queryset:
            if ticket.status == Status.RESOLVED:
                continue
            try:
                ticket_change_status(ticket=ticket, actor=request.user, status=Status.RESOLVED)
            except DomainError:
                refused += 1
            else:
                changed += 1
        self.message_user(request, f"{counted(changed, 'ticket')} marked resolved.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{counted(refused, 'ticket')} refused: a closed ticket has to be reopened before it is resolved.",
                messages.WARNING,
            )


# --- the conversation and the audit trail -----------------------------------------------------------------


@admin.display(description="file")
def attachment_download_link(attachment: Attachment) -> str:
    # Attachments have no public URL: they are only served by the permission-checked download view.
    return format_html('<a href="{}">{}</a>', reverse("attachment_download", args=[attachment.pk]), attachment.filename)


class AttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attachment
    fields = (attachment_download_link, "size", "content_type", "created_at")
    readonly_fields = fields
    extra = 0


class CommentAdminForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ("ticket", "body", "internal")


@admin.register(Comment)
class CommentAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    """Comments are added here (through comment_create, as the signed-in user) and never edited."""

    form = CommentAdminForm
    formfield_overrides = MESSAGE_TEXTAREAS
    list_display = ("id", "ticket", "author", "internal", "created_at")
    list_filter = ("internal", "created_at")
    list_select_related = ("ticket", "author")
    search_fields = ("body", "ticket__subject", "author__email")
    autocomplete_fields = ("ticket",)
    inlines = (AttachmentInline,)

    def get_fields(self, request: HttpRequest, obj: Comment | None = None) -> tuple[str, ...]:
        return ("ticket", "author", "internal", "body", "created_at") if obj else ("ticket", "body", "internal")

    def get_inlines(self, request: HttpRequest, obj: Comment | None) -> tuple[type[admin.TabularInline], ...]:
        return self.inlines if obj else ()

    def has_change_permission(self, request: HttpRequest, obj: Comment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Comment | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Comment, form: CommentAdminForm, change: bool) -> None:
        data = form.cleaned_data
        created = comment_create(
            ticket=data["ticket"], author=request.user, body=data["body"], internal=data["internal"]
        )
        adopt_saved(obj, created)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("filename", "ticket", "size", "content_type", "created_at")
    list_filter = ("content_type", "created_at")
    list_select_related = ("ticket",)
    search_fields = ("filename", "ticket__subject")
    fields = ("ticket", "comment", attachment_download_link, "size", "content_type", "created_at")
    readonly_fields = fields


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail: written only by tickets.services, so nobody may add, change or delete it here."""

    list_display = ("ticket", "kind", "field", "old_value", "new_value", "actor", "internal", "created_at")
    list_filter = ("kind", "internal", "created_at")
    list_select_related = ("ticket", "actor")
    search_fields = ("ticket__subject", "old_value", "new_value", "actor__email")
    date_hierarchy = "created_at"
