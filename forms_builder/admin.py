"""The Django admin for intake forms: the draft (form, fields, conditions) is edited here, then previewed,
published as an immutable version, or duplicated.

Forms, fields and conditions are configuration with no audit trail, so the admin saves them directly; publishing
and duplicating are writes with rules of their own and go through forms_builder.services. Versions and submissions
are written only by those services and are read-only here.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from forms_builder.definitions import definition_problems, form_definition
from forms_builder.forms import AnswersForm, RequesterEmailForm
from forms_builder.models import Condition, Field, Form, FormVersion, Submission
from forms_builder.services import form_duplicate, form_publish
from helpdesk.admin_support import ReadOnlyAdminMixin, counted
from helpdesk.errors import InvalidValue

# The requesters' page layout and field markup (see forms_builder/fill.html), with a form that cannot be sent.
PREVIEW_TEMPLATE = "admin/forms_builder/form/preview.html"


def problem_lines(details: dict[str, list[str]]) -> list[str]:
    """Problems keyed by field key ("" for the form itself) as readable lines: "product: Unknown operator."."""
    return [f"{key}: {message}" if key else message for key, messages_ in details.items() for message in messages_]


# --- the draft: fields and conditions -----------------------------------------------------------------------


class FieldFormSet(forms.BaseInlineFormSet):
    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = super().get_form_kwargs(index)
        # A new row starts below the existing ones instead of at 0, so "add a field" appends by default.
        if index is not None and index >= self.initial_form_count():
            highest = max((field.position for field in self.get_queryset()), default=0)
            kwargs["initial"] = {"position": highest + 10 * (index - self.initial_form_count() + 1)}
        return kwargs


class FieldInline(admin.StackedInline):
    model = Field
    formset = FieldFormSet
    extra = 1
    prepopulated_fields = {"key": ("label",)}
    fieldsets = (
        (None, {"fields": (("label", "key"), ("type", "position"), "required", "help_text")}),
        (
            "Rules",
            {
                "fields": (
                    ("min_length", "max_length"),
                    "pattern",
                    ("min_value", "max_value"),
                    "choices",
                    ("max_file_size", "allowed_extensions"),
                )
            },
        ),
        (
            "Conditions",
            {
                "fields": (("visible_match", "required_match"),),
                "description": "How this field's conditions (below, under Conditions) combine.",
            },
        ),
    )
    formfield_overrides = {Field._meta.get_field("choices"): {"widget": forms.Textarea(attrs={"rows": 3})}}


class ConditionFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        """Rules across rows of both inlines: positions and deletions posted in this same save.

        Condition.clean() checks a row against the stored fields; a save that also reorders or deletes fields
        changes the answer, so the field rows posted alongside are read here too.
        """
        super().clean()
        positions, deleted = _posted_field_rows(self.data)
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.errors or self._should_delete_form(form):
                continue
            target, source = form.cleaned_data.get("target"), form.cleaned_data.get("source")
            if target is None or source is None:
                continue
            if target.pk in deleted or source.pk in deleted:
                removed = target if target.pk in deleted else source
                form.add_error(None, f'Field "{removed.key}" is deleted in this save: delete this condition too.')
            elif source.pk == target.pk:
                form.add_error("source", "A field cannot depend on itself.")
            elif _order_key(source, positions) >= _order_key(target, positions):
                form.add_error(
                    "source", f'"{source.key}" must be placed before "{target.key}": conditions look back only.'
                )


def _posted_field_rows(data: Any, prefix: str = "fields") -> tuple[dict[int, int], set[int]]:
    """From the field inline's POST data: stored field id -> posted position, and the ids being deleted."""
    positions: dict[int, int] = {}
    deleted: set[int] = set()
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        return positions, deleted
    for index in range(min(total, 1000)):
        row = f"{prefix}-{index}-"
        try:
            field_id = int(data.get(f"{row}id") or "")
        except ValueError:
            continue
        if data.get(f"{row}DELETE"):
            deleted.add(field_id)
        # A bad number is the field inline's error to report; the stored position stands meanwhile.
        with contextlib.suppress(ValueError):
            positions[field_id] = int(data.get(f"{row}position") or "")
    return positions, deleted


def _order_key(field: Field, positions: dict[int, int]) -> tuple[int, int]:
    # Fields are ordered by (position, id): the model's Meta.ordering.
    return positions.get(field.pk, field.position), field.pk


class ConditionInline(admin.TabularInline):
    model = Condition
    formset = ConditionFormSet
    fields = ("target", "kind", "source", "operator", "value")
    extra = 1
    verbose_name = "condition"
    verbose_name_plural = "conditions (only fields already saved can be chosen: save new fields first)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Condition]:
        return super().get_queryset(request).select_related("target", "source")

    def get_formset(self, request: HttpRequest, obj: Form | None = None, **kwargs: Any) -> type[forms.BaseFormSet]:
        # formfield_for_foreignkey has no access to the form being edited; the request carries it there.
        request._forms_builder_form = obj  # type: ignore[attr-defined]
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> forms.Field | None:
        if db_field.name in {"target", "source"}:
            form = getattr(request, "_forms_builder_form", None)
            kwargs["queryset"] = Field.objects.filter(form=form) if form is not None else Field.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class FormVersionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FormVersion
    fields = ("number", "published_at", "published_by")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    verbose_name_plural = "published versions"

    def get_queryset(self, request: HttpRequest) -> QuerySet[FormVersion]:
        return super().get_queryset(request).select_related("published_by")


# --- forms --------------------------------------------------------------------------------------------------


@admin.register(Form)
class FormAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "category", "is_active", "is_public", "latest_version", "position")
    list_filter = ("category", "is_active", "is_public")
    list_select_related = ("category",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("category",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "category", "default_priority")}),
        ("Ticket", {"fields": ("subject_template", "description_field")}),
        ("Listing", {"fields": ("is_active", "is_public", "position")}),
        ("Timeline", {"fields": ("created_at", "updated_at")}),
    )
    inlines = (FieldInline, ConditionInline, FormVersionInline)
    actions = ("publish_selected", "duplicate_selected")
    change_form_template = "admin/forms_builder/form/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Form]:
        return super().get_queryset(request).annotate(latest_version_number=Max("versions__number"))

    @admin.display(description="latest version", ordering="latest_version_number")
    def latest_version(self, form: Form) -> int | None:
        return form.latest_version_number

    def get_inlines(self, request: HttpRequest, obj: Form | None) -> tuple[type[admin.options.InlineModelAdmin], ...]:
        # A new form has no fields to make conditions from and no versions yet.
        return self.inlines if obj else (FieldInline,)

    def save_model(self, request: HttpRequest, obj: Form, form: forms.ModelForm, change: bool) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    # --- preview, publish, duplicate ------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        own = [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
            path(
                "<path:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="{}_{}_publish".format(*info),
            ),
            path(
                "<path:object_id>/duplicate/",
                self.admin_site.admin_view(self.duplicate_view),
                name="{}_{}_duplicate".format(*info),
            ),
        ]
        return own + super().get_urls()

    def _form_for_change(self, request: HttpRequest, object_id: str) -> Form:
        # Permission first, so someone without it learns nothing about which forms exist.
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = self.get_object(request, object_id)
        if form is None:
            raise Http404("No such form.")
        if not self.has_change_permission(request, form):
            raise PermissionDenied
        return form

    def _change_url(self, form: Form) -> str:
        return reverse("admin:forms_builder_form_change", args=[form.pk])

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The current draft as requesters would see it, with what would stop it from publishing. Only GET: a
        preview never opens a ticket."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        form = self._form_for_change(request, object_id)
        definition = form_definition(form)
        context = {
            "intake_form": form,
            "answers_form": AnswersForm(definition=definition),
            "email_form": RequesterEmailForm() if form.is_public else None,
            "problems": problem_lines(definition_problems(definition)),
            "change_url": self._change_url(form),
        }
        return TemplateResponse(request, PREVIEW_TEMPLATE, context)

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        # admin_view() has applied the sign-in, staff and CSRF checks; a GET must not publish anything.
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = self._form_for_change(request, object_id)
        self._publish_one(request, form)
        return HttpResponseRedirect(self._change_url(form))

    def _publish_one(self, request: HttpRequest, form: Form) -> bool:
        try:
            version = form_publish(form=form, actor=request.user)
        except InvalidValue as error:
            problems = "; ".join(problem_lines(error.details)) or error.message
            self.message_user(request, f'"{form}" was not published: {problems}', messages.ERROR)
            return False
        self.message_user(request, f'Published version {version.number} of "{form}".', messages.SUCCESS)
        return True

    def duplicate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = self._form_for_change(request, object_id)
        if not self.has_add_permission(request):
            raise PermissionDenied
        copy = form_duplicate(form=form, actor=request.user)
        self.message_user(
            request, f'Made "{copy}" ({copy.slug}), inactive until you turn it on and publish it.', messages.SUCCESS
        )
        return HttpResponseRedirect(self._change_url(copy))

    @admin.action(description="Publish selected forms", permissions=["change"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Form]) -> None:
        for form in queryset:
            self._publish_one(request, form)

    @admin.action(description="Duplicate selected forms", permissions=["add"])
    def duplicate_selected(self, request: HttpRequest, queryset: QuerySet[Form]) -> None:
        copies = [form_duplicate(form=form, actor=request.user) for form in queryset]
        names = ", ".join(copy.name for copy in copies)
        self.message_user(
            request, f"Made {counted(len(copies), 'inactive copy', 'inactive copies')}: {names}.", messages.SUCCESS
        )


# --- what publishing and submitting wrote -------------------------------------------------------------------


@admin.register(FormVersion)
class FormVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Versions are written only by form_publish: immutable, so nobody may add, change or delete them here."""

    list_display = ("form", "number", "published_at", "published_by")
    list_filter = ("published_at",)
    list_select_related = ("form", "published_by")
    search_fields = ("form__name", "form__slug")
    fields = ("form", "number", "published_at", "published_by", "definition_json")
    readonly_fields = fields

    @admin.display(description="definition")
    def definition_json(self, version: FormVersion) -> str:
        return format_html("<pre>{}</pre>", json.dumps(version.definition, indent=2, ensure_ascii=False))


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Submissions are written only by submission_create, with the ticket they opened."""

    list_display = ("ticket", "form_name", "version_number", "created_at")
    list_filter = ("version__form", "created_at")
    list_select_related = ("ticket", "version__form")
    search_fields = ("ticket__subject", "answers_text", "version__form__name", "version__form__slug")
    fields = ("ticket_link", "version", "created_at", "answers_table")
    readonly_fields = fields
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Submission]:
        return super().get_queryset(request).select_related("ticket", "version__form")

    @admin.display(description="form", ordering="version__form__name")
    def form_name(self, submission: Submission) -> str:
        return submission.version.form.name

    @admin.display(description="version", ordering="version__number")
    def version_number(self, submission: Submission) -> int:
        return submission.version.number

    @admin.display(description="ticket")
    def ticket_link(self, submission: Submission) -> str:
        url = reverse("admin:tickets_ticket_change", args=[submission.ticket_id])
        return format_html('<a href="{}">#{} {}</a>', url, submission.ticket_id, submission.ticket.subject)

    @admin.display(description="answers")
    def answers_table(self, submission: Submission) -> str:
        # Labelled by the version the answers were checked against, in its field order.
        labels = {field["key"]: field["label"] for field in submission.version.definition.get("fields", [])}
        ordered = [key for key in labels if key in submission.answers]
        ordered += [key for key in submission.answers if key not in labels]
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            ((labels.get(key, key), _answer_text(submission.answers[key])) for key in ordered),
        )
        return format_html("<table>{}</table>", rows) if ordered else "—"


def _answer_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
