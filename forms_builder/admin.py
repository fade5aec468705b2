"""The Django admin for intake forms: the draft (form, fields, conditions) is edited here, then previewed,
published as an immutable version, or duplicated.

Forms, fields and conditions are configuration with no audit trail, so the admin saves them directly; publishing
and duplicating are writes with rules of their own and go through forms_builder.services. Versions and submissions
are written only by those services and are read-only here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Max, QuerySet
from django.forms.models import ModelChoiceIterator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from forms_builder.definitions import (
    RULE_NAMES,
    RULES_BY_TYPE,
    condition_problems,
    condition_value,
    definition_problems,
    field_definition,
    form_definition,
)
from forms_builder.forms import AnswersForm, RequesterEmailForm
from forms_builder.models import Condition, Field, FieldType, Form, FormVersion, Submission
from forms_builder.services import form_duplicate, form_publish
from helpdesk.admin_support import ReadOnlyAdminMixin, counted
from helpdesk.errors import InvalidValue

# The requesters' page layout and field markup (see forms_builder/fill.html), with a form that cannot be sent.
PREVIEW_TEMPLATE = "admin/forms_builder/form/preview.html"


def problem_lines(details: dict[str, list[str]]) -> list[str]:
    """Problems keyed by field key ("" for the form itself) as readable lines: "product: Unknown operator."."""
    return [f"{key}: {message}" if key else message for key, messages_ in details.items() for message in messages_]


# --- the draft: fields and conditions -----------------------------------------------------------------------

# A condition's target or source may be a field typed on the same page and not saved yet: its option's value is this
# prefix and the key the admin gave it (stored fields are chosen by id).
NEW_FIELD_PREFIX = "key:"


FIELD_ROW = ("label", "key", "type", "position", "required", "help_text", "visible_match", "required_match")
FIELD_ROW += RULE_NAMES


class FieldAdminForm(forms.ModelForm):
    """One field row. Only the rules of the chosen type are shown (the builder's script follows type changes); the
    others are cleared on save, so a rule hidden from view never keeps judging answers."""

    class Meta:
        model = Field
        fields = FIELD_ROW
        widgets = {
            "choices": forms.Textarea(attrs={"rows": 3, "cols": 30}),
            "label": forms.TextInput(attrs={"size": 28}),
            "help_text": forms.TextInput(attrs={"size": 36}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Said once above the field cards (field_inline.html), not under every card.
        for name in ("key", "required"):
            self.fields[name].help_text = ""

    def chosen_type(self) -> str:
        posted = self["type"].value() if self.is_bound else None
        return posted if posted in RULES_BY_TYPE else (self.instance.type or FieldType.TEXT)

    def rule_controls(self) -> list[dict[str, Any]]:
        """Each rule input with the types it applies to, and whether it applies to the type shown now."""
        chosen = self.chosen_type()
        return [
            {
                "field": self[name],
                "types": " ".join(kind for kind, names in RULES_BY_TYPE.items() if name in names),
                "applies": name in RULES_BY_TYPE[chosen],
            }
            for name in RULE_NAMES
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("type")
        if kind in RULES_BY_TYPE:
            for name in set(RULE_NAMES) - set(RULES_BY_TYPE[kind]):
                # An input that does not apply is not shown: neither its value nor its error counts.
                cleaned[name] = "" if isinstance(self.fields[name], forms.CharField) else None
                self._errors.pop(name, None)
        return cleaned


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
    form = FieldAdminForm
    formset = FieldFormSet
    extra = 1
    template = "admin/forms_builder/form/field_inline.html"
    fields = FIELD_ROW  # laid out by the template


@dataclass
class DraftFields:
    """The form's fields as the save being checked would leave them: each row's instance carries its posted values
    (stored rows with their edits, new rows not saved yet: the field formset saves these very instances, before the
    conditions)."""

    rows: list[Field] = dataclass_field(default_factory=list)
    deleted: set[int] = dataclass_field(default_factory=set)

    @classmethod
    def posted(cls, formset: forms.BaseInlineFormSet | None) -> DraftFields:
        draft = cls()
        if formset is None or not formset.is_bound:
            return draft
        formset.errors  # noqa: B018  (cleans every row, so each instance carries its posted values)
        for form in formset.forms:
            instance = form.instance
            if instance.pk is None and not form.has_changed():
                continue  # an extra row left blank
            if formset.can_delete and formset._should_delete_form(form):
                if instance.pk is not None:
                    draft.deleted.add(instance.pk)
                continue
            if instance.key:
                draft.rows.append(instance)
        return draft

    def by_key(self, key: str) -> Field | None:
        return next((row for row in self.rows if row.key == key), None)

    def by_pk(self, pk: int) -> Field | None:
        return next((row for row in self.rows if row.pk == pk), None)

    def order_key(self, field: Field) -> tuple[int, float, int]:
        # Fields are ordered by (position, id): new rows get ids above every stored one, in page order.
        index = next((i for i, row in enumerate(self.rows) if row is field), len(self.rows))
        return field.position, float("inf") if field.pk is None else field.pk, index


class FieldReferenceChoices(ModelChoiceIterator):
    """The stored fields (read once for all the rows of a formset), then the ones added on the page in the save being
    shown again (after a refusal)."""

    def _new_rows(self) -> list[Field]:
        draft = self.field.draft
        return [row for row in draft.rows if row.pk is None] if draft else []

    def __iter__(self) -> Iterator[tuple[Any, str]]:
        stored = self.field.stored_fields
        if stored is None:
            yield from super().__iter__()
        else:
            if self.field.empty_label is not None:
                yield "", self.field.empty_label
            yield from (self.choice(field) for field in stored)
        for row in self._new_rows():
            yield f"{NEW_FIELD_PREFIX}{row.key}", f"{row.label or row.key} ({row.key}, new)"

    def __len__(self) -> int:
        stored = self.field.stored_fields
        count = super().__len__() if stored is None else len(stored) + (self.field.empty_label is not None)
        return count + len(self._new_rows())


class FieldReferenceField(forms.ModelChoiceField):
    """A field of the form being edited: a stored one by id, or one added on the same page by "key:<its key>"."""

    iterator = FieldReferenceChoices
    draft: DraftFields | None = None
    stored_fields: list[Field] | None = None  # the queryset, read once by the formset

    def to_python(self, value: Any) -> Field | None:
        if value in self.empty_values:
            return None
        if isinstance(value, str) and value.startswith(NEW_FIELD_PREFIX):
            key = value.removeprefix(NEW_FIELD_PREFIX)
            field = self.draft.by_key(key) if self.draft else None
            if field is None:
                raise forms.ValidationError(f"No field with the key “{key}” is on this page.", code="invalid_choice")
            return field
        stored = super().to_python(value)
        # The stored field as this save leaves it (its posted key, type and position), when it is on the page.
        return (self.draft.by_pk(stored.pk) if self.draft else None) or stored


class ConditionAdminForm(forms.ModelForm):
    class Meta:
        model = Condition
        fields = ("target", "kind", "source", "operator", "value")
        labels = {"target": "Field", "kind": "Rule", "source": "Depends on"}

    def _get_validation_exclusions(self) -> set[str]:
        # A field added on this page has no id until the field rows are saved (just before this row): the model's
        # "not null" check would refuse it, the formset checks it instead.
        exclude = super()._get_validation_exclusions()
        for name in ("target", "source"):
            value = self.cleaned_data.get(name)
            if value is not None and value.pk is None:
                exclude.add(name)
        return exclude


class ConditionFormSet(forms.BaseInlineFormSet):
    # Set by FormAdmin: the field rows posted in the same save, which conditions may refer to.
    field_formset: forms.BaseInlineFormSet | None = None

    draft: DraftFields | None = None

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        for name in ("target", "source"):
            field = form.fields[name]
            if not hasattr(self, "_stored_fields"):
                self._stored_fields = list(field.queryset)
            field.stored_fields = self._stored_fields
            field.draft = self.draft

    def full_clean(self) -> None:
        self.draft = DraftFields.posted(self.field_formset)
        for form in self.forms:
            for name in ("target", "source"):
                form.fields[name].draft = self.draft
        super().full_clean()

    def clean(self) -> None:
        """Rules across rows of both inlines, against the fields as this save leaves them: conditions look back
        only, at fields not deleted in this save, with operators and values that suit the source's (posted) type.
        """
        super().clean()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.errors or self._should_delete_form(form):
                continue
            target, source = form.cleaned_data.get("target"), form.cleaned_data.get("source")
            if target is None or source is None:
                continue
            if target.pk in self.draft.deleted or source.pk in self.draft.deleted:
                removed = target if target.pk in self.draft.deleted else source
                form.add_error(None, f'Field "{removed.key}" is deleted in this save: delete this condition too.')
            elif source is target or (source.pk is not None and source.pk == target.pk):
                form.add_error("source", "A field cannot depend on itself.")
            elif self.draft.order_key(source) >= self.draft.order_key(target):
                form.add_error(
                    "source", f'"{source.key}" must be placed before "{target.key}": conditions look back only.'
                )
            elif source.pk is None or target.pk is None:
                # Stored pairs were checked by Condition.clean(); a new field's only here.
                condition = {
                    "field": source.key,
                    "operator": form.cleaned_data.get("operator"),
                    "value": condition_value(form.cleaned_data.get("operator") or "", form.cleaned_data.get("value")),
                }
                for problem in condition_problems(field_definition(source), condition, placed_before=True):
                    form.add_error("value", problem)


class ConditionInline(admin.TabularInline):
    model = Condition
    form = ConditionAdminForm
    formset = ConditionFormSet
    fields = ("target", "kind", "source", "operator", "value")
    extra = 1
    template = "admin/forms_builder/form/condition_inline.html"
    verbose_name = "condition"
    verbose_name_plural = "conditions"

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
            kwargs["form_class"] = FieldReferenceField
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
        ("Timeline", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 60})}}
    inlines = (FieldInline, ConditionInline, FormVersionInline)
    actions = ("publish_selected", "duplicate_selected")
    change_form_template = "admin/forms_builder/form/change_form.html"

    class Media:
        css = {"all": ("css/forms_builder_admin.css",)}
        js = ("js/forms_builder_admin.js",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Form]:
        return super().get_queryset(request).annotate(latest_version_number=Max("versions__number"))

    @admin.display(description="latest version", ordering="latest_version_number")
    def latest_version(self, form: Form) -> int | None:
        return form.latest_version_number

    def get_inlines(self, request: HttpRequest, obj: Form | None) -> tuple[type[admin.options.InlineModelAdmin], ...]:
        # A new form has no versions yet; its conditions may refer to the fields added with it.
        return self.inlines if obj else (FieldInline, ConditionInline)

    def _create_formsets(self, request: HttpRequest, obj: Form, change: bool) -> tuple[list[Any], list[Any]]:
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        # Conditions may refer to the field rows posted in the same save: they are checked against those.
        fields = next((f for f in formsets if isinstance(f, FieldFormSet)), None)
        for formset in formsets:
            if isinstance(formset, ConditionFormSet):
                formset.field_formset = fields
        return formsets, inline_instances

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
