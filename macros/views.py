"""The macros page: list (with search), create, edit, delete. Writes go through macros.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from helpdesk.decorators import staff_required
from helpdesk.errors import DomainError
from helpdesk.forms import form_add_domain_error
from helpdesk.idempotency import page_post_once
from macros import permissions, selectors, services
from macros.forms import MacroForm, MacroSearchForm
from macros.models import Macro


@require_http_methods(["GET"])
@login_required
@staff_required
def macro_list(request: HttpRequest) -> HttpResponse:
    search = MacroSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    macros = list(selectors.macros_matching(request.user, query))
    rows = [
        {
            "macro": macro,
            "actions": services.macro_describe_actions(macro),
            "can_change": permissions.can_change_macro(request.user, macro),
        }
        for macro in macros
    ]
    return render(request, "macros/list.html", {"rows": rows, "search": search})


@require_http_methods(["GET", "POST"])
@login_required
@staff_required
def macro_new(request: HttpRequest) -> HttpResponse:
    """The form's one-time token makes the same form sent twice (a double click) create one macro."""
    form = MacroForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = page_post_once(
            request,
            token=form.cleaned_data["submit_token"],
            post=lambda: _create_macro(request, form),
            sent_already="This macro was already created; it was not created again.",
        )
        if created is not None:
            return created
    return render(request, "macros/form.html", {"form": form, "macro": None})


def _create_macro(request: HttpRequest, form: MacroForm) -> HttpResponse | None:
    """Create the macro and go to the list; None when the service refused it, with the reason on the form."""
    try:
        macro = services.macro_create(actor=request.user, **form.cleaned_data)
    except DomainError as error:
        form_add_domain_error(form, error)
        return None
    messages.success(request, f"Macro “{macro.name}” created.")
    return redirect("macro_list")


@require_http_methods(["GET", "POST"])
@login_required
@staff_required
def macro_edit(request: HttpRequest, pk: int) -> HttpResponse:
    macro = _changeable_macro(request, pk)
    form = MacroForm(request.POST or None, instance=macro)
    if request.method == "POST" and form.is_valid():
        try:
            services.macro_update(macro=macro, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            messages.success(request, f"Macro “{macro.name}” saved.")
            return redirect("macro_list")
    return render(request, "macros/form.html", {"form": form, "macro": macro})


@require_http_methods(["POST"])
@login_required
@staff_required
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    macro = _changeable_macro(request, pk)
    services.macro_delete(macro=macro, actor=request.user)
    messages.success(request, f"Macro “{macro.name}” deleted.")
    return redirect("macro_list")


def _changeable_macro(request: HttpRequest, pk: int) -> Macro:
    macro = get_object_or_404(selectors.macros_visible_to(request.user), pk=pk)
    if not permissions.can_change_macro(request.user, macro):
        raise PermissionDenied
    return macro
