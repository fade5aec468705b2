"""The admin site every model admin is registered on, the project's and the libraries' (allauth's) alike.

Django's admin answers most odd input itself: a lookup it cannot parse sends the list back to itself with `?e=1`,
an action with nothing selected warns "Items must be selected…", a missing object is a message. Some input passes
its parsing and fails only in the database, as a 500:

- an id no key can be (`abc`, `1.5`, a number past 64 bits) in an action's selection, a list edit, an object's URL
  on a one-to-one key, or an add page's initial choice: Django filters on it as it is;
- a lookup value the database driver cannot take: a number past 64 bits in an `__in` list or on a foreign key
  (SQLite's driver overflows), or a datetime at the edge of what Python holds (it overflows on its way to UTC);
- the date hierarchy's year 9999: Django's range for it, or for its December, ends in the year 10000;
- a search-as-you-type choice (`autocomplete_fields`) sent as such an id: the form refuses it, then shows it again
  by filtering on it; a many-to-many choice past 64 bits: the form checks all of them at once with `__in`.

Each is answered here as Django answers its like. A list that edits rows (list_editable), refused and shown again,
shows each row next to its own inputs (ListedRowsShownMixin). And a save that passed the page's unique checks can
still fail on the key itself, when another admin's save committed after the check (SaveConflictsAsMessagesMixin).
Such a refused save shows its page again with what the admin typed (RefusalShownMixin).

The site mixes these mixins into every class registered on it, so a library's admin or a new one needs nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import MAXYEAR
from functools import partial
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    EmptyResultSet,
    FieldDoesNotExist,
    ImproperlyConfigured,
    ValidationError,
)
from django.db import IntegrityError, connections, router
from django.db.models import F, Field, Model, QuerySet, UniqueConstraint
from django.db.models.base import ModelBase
from django.db.models.fields.related import RelatedField
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.utils.translation import gettext

from helpdesk.errors import DomainError, PreconditionFailed
from helpdesk.forms import domain_error_names_a_field, form_add_domain_error

logger = logging.getLogger(__name__)

# What SQLite's driver binds (and what a PostgreSQL bigint holds).
INT64 = range(-(2**63), 2**63)


def is_key_value(field: Field, value: object) -> bool:
    """Whether `field` (for a relation, the key it points to) can hold `value`: its own checks, which for a number
    include the range its column holds on this database."""
    while isinstance(field, RelatedField):
        field = field.target_field
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return True


def check_bindable(queryset: QuerySet) -> None:
    """Compiles a list's query as it will run, and raises IncorrectLookupParameters for a value the database's
    driver cannot take."""
    try:
        _, params = queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:
        return  # Django answers it with no rows, without asking the database
    except OverflowError as error:
        # Django converting a datetime to the database's time zone, UTC: `0001-01-01T00:00+05:00` is in the year 0.
        raise IncorrectLookupParameters(error) from error
    if any(isinstance(value, int) and value not in INT64 for value in params):
        raise IncorrectLookupParameters("A number in the lookup is out of range.")


class CheckedChangeList(ChangeList):
    def get_filters(self, request: HttpRequest) -> tuple[Any, ...]:
        if self.date_hierarchy:
            self._check_date_hierarchy_year()
        return super().get_filters(request)

    def _check_date_hierarchy_year(self) -> None:
        years = self.get_filters_params().get(f"{self.date_hierarchy}__year")
        if not years:
            return
        try:
            year = int(years[-1])  # as Django reads it
        except ValueError:
            return  # Django refuses what is not a number itself
        if year >= MAXYEAR:
            raise IncorrectLookupParameters(f"The date hierarchy ends with the year {MAXYEAR - 1}.")

    def get_queryset(self, request: HttpRequest, exclude_parameters: list[str] | None = None) -> QuerySet:
        queryset = super().get_queryset(request, exclude_parameters)
        check_bindable(queryset)
        return queryset


class CheckedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses an id no row can have as Django refuses one that is not a number, before its one `__in` query."""

    def _check_values(self, value: list[str]) -> QuerySet:
        opts = self.queryset.model._meta
        key = opts.get_field(self.to_field_name) if self.to_field_name else opts.pk
        for one in value:  # a list, as clean() made sure
            if not is_key_value(key, one):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": one}
                )
        return super()._check_values(value)


class CheckedAutocompleteMixin:
    """Shows a sent id no row can have as no choice, as Django shows the id of a row that does not exist."""

    field: Field

    def optgroups(self, name: str, value: list[str], attr: dict[str, Any] | None = None) -> list[Any]:
        return super().optgroups(name, [one for one in value if is_key_value(self.field, one)], attr)


class CheckedAutocompleteSelect(CheckedAutocompleteMixin, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(CheckedAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class CheckedInputAdminMixin:
    """Ids that no row can have are answered as Django answers ids of rows that do not exist."""

    def formfield_for_foreignkey(self, db_field: Field, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Field, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        kwargs.setdefault("form_class", CheckedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        changelist = super().get_changelist(request, **kwargs)
        if changelist is ChangeList:
            return CheckedChangeList
        if not issubclass(changelist, CheckedChangeList):
            raise ImproperlyConfigured(f"{type(self).__name__}'s change list must subclass CheckedChangeList.")
        return changelist

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponseBase | None:
        if all(is_key_value(self.opts.pk, pk) for pk in request.POST.getlist(ACTION_CHECKBOX_NAME)):
            return super().response_action(request, queryset)
        # No row has such an id, so Django's answer to an empty selection; the list redirects back to itself.
        message = "Items must be selected in order to perform actions on them. No items have been changed."
        self.message_user(request, gettext(message), messages.WARNING)
        return None

    def _get_list_editable_queryset(self, request: HttpRequest, prefix: str) -> QuerySet:
        # Django checks that each edited id is a number, not that its column holds it. For an id that is not a
        # number it leaves them all to the formset, which refuses it on the list; so for one past the column's range.
        if all(is_key_value(self.opts.pk, pk) for pk in self._get_edited_object_pks(request, prefix)):
            return super()._get_list_editable_queryset(request, prefix)
        return self.get_queryset(request)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Model | None:
        field = self.opts.pk if from_field is None else self.opts.get_field(from_field)
        if not is_key_value(field, object_id):
            return None  # Django's "doesn't exist"
        return super().get_object(request, object_id, from_field)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        for name, value in list(initial.items()):
            try:
                field = self.opts.get_field(name)
            except FieldDoesNotExist:
                continue
            values = value if isinstance(value, list) else [value]  # a many-to-many's are a list
            if isinstance(field, RelatedField) and not all(is_key_value(field, one) for one in values):
                del initial[name]  # no row is chosen, as for the id of a row that does not exist
        return initial


class ListedRowsShownMixin:
    """A list that edits rows (list_editable), refused and shown again, shows each row next to its own inputs.

    Django shows the inputs sent, in the order the page had them, next to the rows read again, in their order now: a
    row moved by another admin's change of its ordering column put one row's name next to another row's inputs (and
    its hidden id: a second save wrote them to the row they belong to, which the admin did not see). So the rows
    shown are the ones the inputs are for. A row deleted before the page was sent has no row to stand next to its
    inputs: nothing is saved, and the list is shown afresh with a message."""

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        formset = getattr(cl, "formset", None)
        if formset is None or not formset.is_bound:
            return response
        if any(names_a_row_gone(formset, form) for form in formset.initial_forms):
            plural = self.model._meta.verbose_name_plural  # type: ignore[attr-defined]
            message = (
                f"One of these {plural} was deleted meanwhile. Nothing was saved; the list is shown as it is now: "
                "make your changes again."
            )
            self.message_user(request, message, messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(request.get_full_path())
        rows = [form.instance for form in formset.forms]
        if not any(row._state.adding for row in rows):  # else an id no row can have: Django's error on it, as sent
            cl.result_list = rows
        return response


def names_a_row_gone(formset: Any, form: forms.ModelForm) -> bool:
    """Whether the list's form names its row by an id a row can have, when no row has it: deleted since the page was
    read. An id no row can have (`abc`, past 64 bits) is a tampered page, refused by Django on the id."""
    pk = formset.model._meta.pk
    return form.instance._state.adding and is_key_value(pk, formset.data.get(form.add_prefix(pk.name)))


# PostgreSQL's SQLSTATE for a unique key's violation, and the key it names in the error's detail.
UNIQUE_VIOLATION = "23505"
POSTGRESQL_KEY = re.compile(r"Key \((?P<columns>[^)]*)\)=")
SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)")
SQLITE_INDEX = re.compile(r"index '(?P<name>[^']+)'")


# The request attribute holding a save's refusal while its page is shown again (RefusalShownMixin).
REFUSAL_SHOWN = "helpdesk_admin_refusal_shown"


class RefusalShownForm(forms.BaseForm):
    """A change page's form shown again after its save was refused: the refusal is its own error, next to the fields
    it names and above the form for the rest, so the form is invalid and Django shows it, bound to what was sent,
    where it would have saved.

    A refusal naming no field of the form (a key over several fields, a service's refusal with no details) is said
    whole above the form, and only there (`said_above_form`: the top of the page does not say it again)."""

    refusal: DomainError
    said_above_form = False

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound:
            return
        if not domain_error_names_a_field(self, self.refusal):
            self.add_error(None, refusal_text(self.refusal))
            self.said_above_form = True
            return
        # A key another save took meanwhile is found by the page's own unique check by now, once that save committed:
        # its error says so next to the field already, and the refusal's saying it again would read as a second one.
        details = {name: said for name, said in self.refusal.details.items() if not self.has_error(name, "unique")}
        if details:
            form_add_domain_error(self, DomainError(self.refusal.message, details=details))
        if not self.errors:  # a refusal naming fields with no message: still nothing may be saved
            self.add_error(None, self.refusal.message)


class RefusalShownMixin:
    """A save refused at save time (a service's DomainError, a unique key taken meanwhile) answers with its change
    page shown again, bound to what the admin sent, the refusal on it: a redirect to the page showed it empty, or as
    stored, and everything typed was lost.

    Django's changeform_view runs again for the same request, its transaction of the refused save rolled back: its
    form made invalid by the refusal (RefusalShownForm), it renders the page with its inlines and saves nothing. A
    refusal on that second pass is not answered again but raised.

    Except a page read before another change saved (PreconditionFailed: a ticket's version token): every value it
    holds is as it was read, so it is shown afresh, as it is now (a redirect), never again with those values, which
    a second save would write over the other change."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        except Exception as error:  # which are refusals, each mixin's save_refusal says; the rest are raised
            refusal = self.save_refusal(request, error)
            if refusal is None:
                raise
        show = partial(super().changeform_view, request, object_id, form_url, extra_context)  # type: ignore[misc]
        return self._refused_save_shown(request, refusal, show)

    def save_refusal(self, request: HttpRequest, error: Exception) -> DomainError | None:
        """What a page's save failing with `error` tells the admin, or None for an error that is a bug (a 500 with
        its traceback). Each mixin answers the errors it knows and passes the others on (super)."""
        return None

    def get_form(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)  # type: ignore[misc]
        refusal = getattr(request, REFUSAL_SHOWN, None)
        if refusal is None:
            return form
        return type(form)(form.__name__, (RefusalShownForm, form), {"refusal": refusal, "__module__": __name__})

    def _refused_save_shown(
        self, request: HttpRequest, error: DomainError, show: Callable[[], HttpResponse]
    ) -> HttpResponse:
        """The answer to a refused save: the page `show` renders again, refused (outside changeform_view's try: a
        refusal of that second pass is raised, never answered again), and the refusal as a message at its top, unless
        its form says it whole above itself already (RefusalShownForm.said_above_form).

        The message is added once the page is made: a change page is a TemplateResponse, rendered with its messages
        only once returned; any other answer (a redirect) shows the message on the page it leads to."""
        if isinstance(error, PreconditionFailed):
            return refused(self, request, error)
        for name in request.FILES:
            for upload in request.FILES.getlist(name):
                upload.seek(0)  # read by the refused save's form already
        setattr(request, REFUSAL_SHOWN, error)
        try:
            response = show()
        finally:
            delattr(request, REFUSAL_SHOWN)
        if not refusal_said_above_form(response):
            model_admin_message(self, request, error)
        return response


def refusal_said_above_form(response: HttpResponse) -> bool:
    """Whether the change page shown again says its refusal whole above its form (RefusalShownForm)."""
    adminform = (getattr(response, "context_data", None) or {}).get("adminform")
    form = getattr(adminform, "form", None)
    return isinstance(form, RefusalShownForm) and form.said_above_form


class SaveConflictsAsMessagesMixin(RefusalShownMixin):
    """A save that fails on a unique key in the database is an error on the same page, shown again with what was
    typed and nothing of it saved, not a 500.

    The page checked the key was free (its unique checks), but another admin's save committed between that check and
    this save's write: two calendars named alike, or two made the default, at once. An admin's own answer to a
    conflict it foresees (sla.admin's team linked to two calendars) is more precise and runs first. Any other
    IntegrityError (a NOT NULL column left empty, a check failed) is no other save's doing but a bug in what the admin
    saves: it stays a 500 with its traceback rather than a message blaming another change.

    Django saves a page in one transaction; it is rolled back by the time the error gets here, so the message (kept
    in a cookie, or the session) is written outside it. Deletions, actions and the list's edited rows are left to
    what answers them already (the one list that edits rows, the SLA policies', has no unique field)."""

    def save_refusal(self, request: HttpRequest, error: Exception) -> DomainError | None:
        if not isinstance(error, IntegrityError):
            return super().save_refusal(request, error)
        if request.method != "POST" or not is_unique_violation(error):
            return None  # a page only shown saves nothing; only a unique key can be taken by another save meanwhile
        if connections[router.db_for_write(self.model)].needs_rollback:  # type: ignore[attr-defined]
            raise error  # a transaction around the admin's own is broken still: nothing could be written after it
        logger.warning("An admin save conflicted with another saved meanwhile", exc_info=error)
        return unique_conflict_refusal(error)


def model_admin_message(model_admin: Any, request: HttpRequest, error: DomainError) -> None:
    """A refusal as an error message at the top of the page."""
    model_admin.message_user(request, refusal_text(error), messages.ERROR)


def refusal_text(error: DomainError) -> str:
    """A refusal in one text: what was refused, then each reason."""
    details = " ".join(message for messages_ in error.details.values() for message in messages_)
    return f"{error.message} {details}".strip()


def refused(model_admin: Any, request: HttpRequest, error: DomainError) -> HttpResponse:
    """A refusal as an error message on the page the request came from, which it redirects to: for a deletion or an
    action, which have no input to keep (helpdesk.admin_support)."""
    model_admin_message(model_admin, request, error)
    return HttpResponseRedirect(request.get_full_path())


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether the database refused the write for a unique key (a unique index or constraint, partial or on
    expressions), as each database's driver tells it."""
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)  # psycopg's; SQLite's driver has none, only its message
    if sqlstate is not None:
        return sqlstate == UNIQUE_VIOLATION
    return SQLITE_UNIQUE.match(str(error)) is not None


def unique_conflict_refusal(error: IntegrityError) -> DomainError:
    """A save's unique key taken by another save meanwhile, as a refusal naming the fields of the key next to them
    ("User with this Email already exists.", as the page's own unique check says it), or above the form for a key
    of several fields; a key the error does not name in a way read here only as a conflict. Never the SQL."""
    refusal = (
        "This could not be saved: another change saved meanwhile conflicts with it. Nothing was saved; check the "
        "values and save again."
    )
    found = unique_key_fields(error)
    if found is None:
        return DomainError(refusal)
    model, fields = found
    # In Django's words, as the page's own unique check says it: "User with this Email already exists."
    conflict = model().unique_error_message(model, tuple(field.name for field in fields)).messages[0]
    # On the one field it is about, as Django's unique check puts it; a key of several fields is the whole form's.
    where = fields[0].name if len(fields) == 1 else NON_FIELD_ERRORS
    return DomainError(refusal, details={where: [conflict]})


def unique_key_fields(error: IntegrityError) -> tuple[type[Model], list[Field]] | None:
    """The model and fields of the unique key an IntegrityError names: a key's columns, or the fields a constraint's
    expressions are over (the lower-cased email); None for any other error, or a key not named in a way read here."""
    found = _unique_key_violated(error)
    if found is None:
        return None
    table, columns, constraint = found
    if constraint is not None and (declared := _constraint_fields(constraint)) is not None:
        return declared
    # Auto-created tables too: a many-to-many link (a team's member) added twice at once.
    models = apps.get_models(include_auto_created=True)
    model = next((model for model in models if model._meta.db_table == table), None)
    if model is None:
        return None
    by_column = {field.column: field for field in model._meta.concrete_fields}
    if not columns or not all(column in by_column for column in columns):
        return None
    return model, [by_column[column] for column in columns]


def _unique_key_violated(error: IntegrityError) -> tuple[str | None, list[str], str | None] | None:
    """The table, columns and constraint's name of the unique key an IntegrityError is about, as each database's
    driver tells them (a key on expressions has no columns named)."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)  # psycopg's
    if diag is not None:
        if getattr(cause, "sqlstate", None) != UNIQUE_VIOLATION or not diag.table_name:
            return None
        key = POSTGRESQL_KEY.match(diag.message_detail or "")
        columns = [column.strip('" ') for column in key["columns"].split(",")] if key else []
        return diag.table_name, columns, diag.constraint_name
    key = SQLITE_UNIQUE.match(str(error))  # "UNIQUE constraint failed: sla_businesscalendar.name"
    if key is None:
        return None
    index = SQLITE_INDEX.fullmatch(key["columns"])
    if index is not None:  # "index 'accounts_user_email_ci_unique'": a key on expressions, named but not its table
        return None, [], index["name"]
    qualified = [column.strip().rpartition(".") for column in key["columns"].split(",")]
    tables = {table for table, _, _ in qualified}
    if len(tables) != 1 or not (table := tables.pop()):
        return None
    return table, [column for _, _, column in qualified], None


def _constraint_fields(name: str) -> tuple[type[Model], list[Field]] | None:
    """The model declaring the unique constraint `name`, and the fields it is over: its fields, or those its
    expressions read (`Lower("email")`: the email). None for a name no model declares (a field's own unique index)."""
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == name and isinstance(constraint, UniqueConstraint):
                names = list(constraint.fields) or _names_read(constraint.expressions)
                return (model, [model._meta.get_field(one) for one in names]) if names else None
    return None


def _names_read(expressions: Iterable[Any]) -> list[str]:
    """The fields these expressions read, each once, in order."""
    names = [node.name for expression in expressions for node in expression.flatten() if isinstance(node, F)]
    return list(dict.fromkeys(names))


# Outermost first: a save conflict's net is around all the rest, each admin's own answers included.
SITE_MIXINS = (SaveConflictsAsMessagesMixin, CheckedInputAdminMixin, ListedRowsShownMixin)


class HelpdeskAdminSite(admin.AdminSite):
    def register(
        self,
        model_or_iterable: ModelBase | list[ModelBase],
        admin_class: type[admin.ModelAdmin] | None = None,
        **options: Any,
    ) -> None:
        # A subclass with the mixins first, made here rather than asked of each admin.py: libraries register theirs
        # (allauth's) on this site too, and a new admin cannot forget them.
        admin_class = admin_class or admin.ModelAdmin
        missing = tuple(mixin for mixin in SITE_MIXINS if not issubclass(admin_class, mixin))
        if missing:
            namespace = {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__}
            admin_class = type(admin_class.__name__, (*missing, admin_class), namespace)
        super().register(model_or_iterable, admin_class, **options)


class HelpdeskAdminConfig(AdminConfig):
    """Django's admin app with `HelpdeskAdminSite` as `admin.site` (in INSTALLED_APPS for django.contrib.admin)."""

    default_site = "helpdesk.admin_site.HelpdeskAdminSite"
