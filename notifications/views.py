"""The account page where each user turns each kind of mail on or off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from notifications.forms import PreferencesForm
from notifications.preferences import STAFF_KINDS
from notifications.services import notification_preferences_set


@require_http_methods(["GET", "POST"])
@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        notification_preferences_set(user=request.user, choices=form.cleaned_data)
        messages.success(request, "Your notification settings were saved.")
        return redirect("notification_preferences")
    staff_fields = [form[kind] for kind in STAFF_KINDS if kind in form.fields]
    requester_fields = [field for field in form if field.name not in STAFF_KINDS]
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "staff_fields": staff_fields, "requester_fields": requester_fields},
    )
