"""The survey mail: one click on good or bad opens a page to confirm (a link scanner opening it records nothing)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from csat.models import Rating, SatisfactionSurvey


def mail_survey(*, survey: SatisfactionSurvey, token: str) -> None:
    ticket = survey.ticket
    links = {rating: settings.SITE_URL + reverse("csat_confirm", args=[token, rating]) for rating in Rating.values}
    context = {"ticket": ticket, "good_url": links[Rating.GOOD], "bad_url": links[Rating.BAD]}
    send_mail(
        subject=f"[#{ticket.pk}] How did we do? {ticket.subject}",
        message=render_to_string("emails/csat_request.txt", context),
        from_email=None,
        recipient_list=[ticket.requester.email],
    )
