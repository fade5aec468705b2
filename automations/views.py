"""The Away page: an agent marks themselves away (round-robin skips them) or back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from automations.models import Availability
from automations.services import agent_set_away
from helpdesk.decorators import staff_required
from helpdesk.errors import DomainError


@require_http_methods(["GET", "POST"])
@login_required
@staff_required
def away(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        is_away = request.POST.get("away") == "yes"
        try:
            agent_set_away(user=request.user, away=is_away)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "You are marked away." if is_away else "Welcome back: you are available again.")
        return redirect("agent_away")
    availability = Availability.objects.filter(user=request.user).first()
    return render(request, "automations/away.html", {"is_away": bool(availability and availability.is_away)})
