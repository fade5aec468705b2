"""The survey mail: one click on good or bad opens a page to confirm (a link scanner opening it records nothing).
Recorded and sent by the worker through notifications/."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from csat.models import Rating, SatisfactionSurvey
from notifications.models import NotificationKind
from notifications.services import notification_queue


def mail_survey(*, survey: SatisfactionSurvey, token: str) -> None:
    ticket = survey.ticket
    links = {rating: settings.SITE_URL + reverse("csat_confirm", args=[token, rating]) for rating in Rating.values}
    notification_queue(
        kind=NotificationKind.CSAT_SURVEY,
        key=f"csat-survey:{survey.pk}",
        ticket=ticket,
        recipient=ticket.requester,
        context={"good_url": links[Rating.GOOD], "bad_url": links[Rating.BAD]},
    )
