"""The Time zone page: everyone picks the zone their pages and mails tell times in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import TimeZoneForm


@require_http_methods(["GET", "POST"])
@login_required
def time_zone_settings(request: HttpRequest) -> HttpResponse:
    form = TimeZoneForm(request.POST or None, initial={"time_zone": request.user.time_zone})
    if request.method == "POST" and form.is_valid():
        services.user_update(user=request.user, actor=request.user, time_zone=form.cleaned_data["time_zone"])
        messages.success(request, "Your time zone was saved.")
        return redirect("account_time_zone")
    status = 400 if form.errors else 200
    return render(request, "accounts/time_zone.html", {"form": form}, status=status)
