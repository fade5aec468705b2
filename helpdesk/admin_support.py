"""Glue between the Django admin and the services that do the writing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from django import forms
from django.contrib.admin.widgets import AdminTextareaWidget
from django.db import models, router, transaction
from django.db.models import Model, QuerySet
from django.forms.models import BaseInlineFormSet, BaseModelFormSet
from django.http import HttpRequest, HttpResponse

from helpdesk.admin_site import RefusalShownMixin, refused
from helpdesk.errors import DomainError, InvalidValue
from helpdesk.forms import MessageTextarea, form_add_domain_error
from tickets.services.common import configured_rows_gone, own_rows_gone


def adopt_saved(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved instance the row a service created: the admin logs and redirects with it."""
    obj.__dict__.update(saved.__dict__)


class AdminMessageTextarea(MessageTextarea, AdminTextareaWidget):
    """The admin's textarea, its line breaks read back as the browser counted them (helpdesk.forms.MessageTextarea)."""


# For a ModelAdmin holding a message (a ticket's description, a comment, a macro's or a rule's text).
MESSAGE_TEXTAREAS = {models.TextField: {"widget": AdminMessageTextarea}}


class ConfiguredRowsKeptForm(forms.ModelForm):
    """The admin's form for configuration naming teams, agents or categories (rules, macros, categories, mailboxes,
    SLA policies): a row chosen and deleted before the save commits is an error next to its field, the input kept.

    The admin validates and saves in one transaction, so the rows read here stay kept until the save commits
    (tickets.services.common.ensure_configured_rows_remain): a service saving the instance after need not read them
    again (rule_save, macro_save: named_rows_kept).

    `also_kept`: other rows the configuration names by foreign key, by model, and what one is called."""

    also_kept: ClassVar[Mapping[type[Model], str]] = {}
    # Set by ConfiguredRowsKeptInlineFormSet, which keeps the rows of all its forms at once.
    kept_by_formset = False
    keeps_rows = False  # validated so far and would keep its rows (for the formset)

    def _post_clean(self) -> None:
        super()._post_clean()  # the instance now holds the chosen rows
        if self.errors:
            return  # nothing is saved, nothing to keep; an id naming no row is the field's error already
        if self.kept_by_formset:
            self.keeps_rows = True
        elif error := configured_rows_gone([self.instance], also=self.also_kept)[0]:
            self.add_row_gone(error)

    def add_row_gone(self, error: InvalidValue) -> None:
        for name, messages_ in error.details.items():
            # A field the page does not show (an inline's link to the page's own object): above the row.
            if name in self.fields and self.fields[name].widget.is_hidden:
                self.add_error(None, messages_)
            else:
                form_add_domain_error(self, InvalidValue(error.message, details={name: messages_}))


class ConfiguredRowsKeptInlineFormSet(BaseInlineFormSet):
    """An inline of ConfiguredRowsKeptForm rows (a calendar's team links): the rows all of them name are kept in one
    lock order (tickets.services.common.lock_order), as a bulk deletion takes them; each form keeping its own in turn
    took them in the page's order, and a deletion of two of them could deadlock with the save."""

    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)
        form.kept_by_formset = True
        return form

    def clean(self) -> None:
        super().clean()
        keeping = [f for f in self.forms if f.keeps_rows and not f.errors and not self._should_delete_form(f)]
        refusals = configured_rows_gone([form.instance for form in keeping], also=self.form.also_kept)
        for form, error in zip(keeping, refusals, strict=True):
            if error is not None:
                form.add_row_gone(error)


class ListedRowForm(forms.ModelForm):
    """A row of the admin's list (list_editable), saved by ListedRowsKeptMixin."""

    def edited_fields(self) -> list[str]:
        """The columns the list changed (its own fields; the row's id is the formset's)."""
        return [name for name in self.changed_data if name in self._meta.fields]


class ListedRowsKeptFormSet(BaseModelFormSet):
    """The admin list's rows (list_editable) that are saved, kept until the save commits, in lock order
    (tickets.services.common.own_rows_gone): one deleted once the list's save read it is an error above its row,
    nothing saved. Its save found no row to update, so inserted it again: a deleted row back, without what went with
    it. One deleted before the list was sent names no row: admin_site.ListedRowsShownMixin shows the list afresh."""

    def clean(self) -> None:
        super().clean()
        opts = self.model._meta
        saving = [form for form in self.forms if form.has_changed() and not form.errors]
        gone = own_rows_gone(self.model, [form.instance.pk for form in saving])
        for form in saving:
            if form.instance.pk in gone:
                form.add_error(None, f"The {opts.verbose_name} “{form.instance}” was deleted meanwhile.")


class ListedRowsKeptMixin:
    """The admin's list (list_editable) saves its rows as the change page saves one: checked and saved in one
    transaction, a row deleted meanwhile refused (ListedRowsKeptFormSet), and only the columns the list changed
    written. Django's list saved every column of the row as read when the list was sent, undoing another admin's
    change of the others (a policy's conditions) made meanwhile."""

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        return super().get_changelist_form(request, **{"form": ListedRowForm, **kwargs})  # type: ignore[misc]

    def get_changelist_formset(self, request: HttpRequest, **kwargs: Any) -> Any:
        return super().get_changelist_formset(request, **{"formset": ListedRowsKeptFormSet, **kwargs})  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method != "POST":  # a plain look at the list takes no write lock (SQLite's IMMEDIATE)
            return super().changelist_view(request, extra_context)  # type: ignore[misc]
        # Django checks the list's rows outside its transaction, so the rows they kept were free again at the save.
        with transaction.atomic(using=router.db_for_write(self.model)):  # type: ignore[attr-defined]
            return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        if isinstance(form, ListedRowForm):
            obj.save(update_fields=form.edited_fields())
        else:
            super().save_model(request, obj, form, change)  # type: ignore[misc]


class ReadOnlyAdminMixin:
    """For records written only by services (the audit trail, attachments): look, never touch."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class DeletionRefusedMixin:
    """The delete page and "Delete selected" refuse what `deletion_refusals` gives reasons for, as Django refuses an
    object protected by a foreign key: the reasons are listed with what protects it, and nothing is deleted."""

    deletion_refusals: Callable[[Sequence[Model]], list[str]]

    def get_deleted_objects(self, objs: Sequence[Model], request: HttpRequest) -> tuple[Any, ...]:
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)  # type: ignore[misc]
        return deleted, model_count, perms_needed, [*protected, *self.deletion_refusals(list(objs))]


class ServiceDeletionMixin:
    """Deleting goes through a service (`delete_one`), from the object's page and from "Delete selected" alike: the
    list's action bypasses delete_model, so each selected object goes as one deleted on its page does, all or none.

    A service refusing a deletion (DomainError: something came to need the row since the confirmation page asked) is
    an error message on the page the request came from, nothing deleted and no deletion logged, not a 500."""

    def delete_one(self, request: HttpRequest, obj: Any) -> None:
        raise NotImplementedError

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_one(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            # In id order, not the list's: each deletion locks its row, and a save naming several holds them in this
            # order too (tickets.services.common.lock_order), where any other could deadlock the two.
            selected = list(queryset.order_by("pk"))
            self.lock_selected(selected)
            for obj in selected:
                self.delete_one(request, obj)

    def lock_selected(self, objs: list[Any]) -> None:
        """Lock the rows of "Delete selected" (in id order) before the first is deleted. Nothing by default: each
        deletion locks its row itself, in its turn. A deletion that edits the tickets naming its row overrides it
        (tickets.services.removal.removals_lock)."""

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        try:  # Django's delete_view logs and deletes in one transaction, rolled back by the time the error is here
            return super().delete_view(request, object_id, extra_context)  # type: ignore[misc]
        except DomainError as error:
            return refused(self, request, error)

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        try:  # "Delete selected" logs the deletions before deleting: both, or neither
            with transaction.atomic():
                return super().response_action(request, queryset)  # type: ignore[misc]
        except DomainError as error:
            return refused(self, request, error)


class ServiceErrorsAsMessagesMixin(RefusalShownMixin):
    """A service refusing a save (DomainError) is an error on the page, shown again with what was typed, instead of
    a 500 (RefusalShownMixin).

    Forms catch the foreseeable refusals in clean(); this is the net for the rest (e.g. a concurrent edit).
    The admin's own transaction has been rolled back by the time the error arrives here.
    """

    def save_refusal(self, request: HttpRequest, error: Exception) -> DomainError | None:
        if isinstance(error, DomainError):
            return error
        return super().save_refusal(request, error)


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """ "1 ticket", "2 tickets", "2 inactive copies": for the admin's messages."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"
