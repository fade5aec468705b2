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

Each is answered here as Django answers its like. The site mixes `CheckedInputAdminMixin` into every class
registered on it, so a library's admin or a new one needs nothing.
"""

from __future__ import annotations

from datetime import MAXYEAR
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db.models import Field, Model, QuerySet
from django.db.models.base import ModelBase
from django.db.models.fields.related import RelatedField
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext

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


class HelpdeskAdminSite(admin.AdminSite):
    def register(
        self,
        model_or_iterable: ModelBase | list[ModelBase],
        admin_class: type[admin.ModelAdmin] | None = None,
        **options: Any,
    ) -> None:
        # A subclass with the mixin first, made here rather than asked of each admin.py: libraries register theirs
        # (allauth's) on this site too, and a new admin cannot forget it.
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, CheckedInputAdminMixin):
            namespace = {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__}
            admin_class = type(admin_class.__name__, (CheckedInputAdminMixin, admin_class), namespace)
        super().register(model_or_iterable, admin_class, **options)


class HelpdeskAdminConfig(AdminConfig):
    """Django's admin app with `HelpdeskAdminSite` as `admin.site` (in INSTALLED_APPS for django.contrib.admin)."""

    default_site = "helpdesk.admin_site.HelpdeskAdminSite"
