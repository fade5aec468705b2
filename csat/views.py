"""Rating pages: from the mail's one-click links (confirmed with a POST), and on the requester's ticket page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from csat.forms import RatingForm
from csat.models import Rating, SatisfactionSurvey
from csat.selectors import latest_survey
from csat.services import survey_from_token, survey_rate
from helpdesk.errors import DomainError
from helpdesk.forms import form_add_domain_error
from tickets.selectors import tickets_visible_to
from tickets.views.requester import render_ticket_page


def _survey(token: str) -> SatisfactionSurvey:
    survey = survey_from_token(token)
    if survey is None:
        raise Http404
    return survey


def _show_refusal(request: HttpRequest, form: RatingForm, error: DomainError) -> None:
    """A rating the service refused (its days are over, already rated) is shown on the page, with the form as it
    was sent: a redirect would drop the comment they typed."""
    form_add_domain_error(form, error)
    messages.error(request, f"Your rating was not sent. {error.message}")


@require_http_methods(["GET"])
def csat_confirm(request: HttpRequest, token: str, rating: str) -> HttpResponse:
    """The mail's link: shows the choice to confirm. A GET never records a vote (mail scanners follow links)."""
    survey = _survey(token)
    if rating not in Rating.values:
        raise Http404
    form = RatingForm(initial={"rating": rating, "comment": survey.comment})
    return render(request, "csat/confirm.html", {"survey": survey, "form": form, "token": token})


@require_http_methods(["POST"])
def csat_submit(request: HttpRequest, token: str) -> HttpResponse:
    survey = _survey(token)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            survey_rate(
                survey=survey, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"], actor=None
            )
        except DomainError as error:
            _show_refusal(request, form, error)
        else:
            return render(request, "csat/thanks.html", {"survey": survey})
    return render(request, "csat/confirm.html", {"survey": survey, "form": form, "token": token}, status=400)


@require_http_methods(["POST"])
@login_required
def ticket_rate(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(tickets_visible_to(request.user).filter(requester=request.user), pk=pk)
    survey = latest_survey(ticket)
    form = RatingForm(request.POST)
    if survey is None:
        messages.error(request, "This ticket has not been resolved, so there is nothing to rate yet.")
    elif not form.is_valid():
        # Shown again as sent, so the comment they wrote waits next to the choice still to make.
        messages.error(request, "Your rating was not sent. Please correct the errors below.")
        return render_ticket_page(request, ticket, rating_form=form, status=400)
    else:
        try:
            survey_rate(
                survey=survey,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
        except DomainError as error:
            _show_refusal(request, form, error)
            return render_ticket_page(request, ticket, rating_form=form, status=400)
        messages.success(request, "Thank you for your rating.")
    return redirect("ticket_detail", pk=ticket.pk)
