"""Posting back the ticket admin's change and add pages, for the admin tests."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tickets.models import Ticket


def form_data(response: Any, **changes: Any) -> dict[str, Any]:
    """What a browser would post back from an admin form page: its fields and every inline's management form."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for field in form:
            value = field.value()
            if value is not None and value is not False:
                data[field.html_name] = value
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def change_url(ticket: Ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])
