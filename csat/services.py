"""Every write of the satisfaction surveys: asking on resolution, and recording a rating."""

from __future__ import annotations

from datetime import datetime

from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from csat import notifications
from csat.models import Rating, SatisfactionSurvey
from events.models import EventKind
from events.services import event_record
from helpdesk.errors import InvalidValue, NotPermitted
from helpdesk.time_zones import in_zone_of
from queues.kept import queue_outdated
from tickets.models import Status, Ticket

LINK_SALT = "csat.survey"


def survey_token(survey: SatisfactionSurvey) -> str:
    """The survey's id, signed: the mail's links name their survey, and cannot be made up for another."""
    return signing.dumps(survey.pk, salt=LINK_SALT)


def survey_from_token(token: str) -> SatisfactionSurvey | None:
    """The survey a mailed link opens, or None: made up, of a survey since deleted, or of a deactivated requester.

    A deactivated account's links stop working, as its private links do (forms_builder's
    `private_link_addresses_requester`): it cannot sign in or be mailed, and nobody speaks for it. Reactivated,
    the same links work again. Both survey pages resolve the token here, so this is the one place that rule lives."""
    try:
        survey_id = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature:
        return None
    survey = SatisfactionSurvey.objects.select_related("ticket__requester").filter(pk=survey_id).first()
    if survey is None or not survey.ticket.requester.is_active:
        return None
    return survey


def _survey_closed(survey: SatisfactionSurvey) -> InvalidValue:
    """The refusal once the survey's few days are over, saying plainly whether it was rated (and how) or not."""
    # The day in the requester's zone: the only one who rates, signed in or by the mail's link (a page in the
    # site's zone).
    with in_zone_of(survey.ticket.requester):
        last_day = f"{timezone.localtime(survey.open_until):%d %b}"
    if survey.rating:
        message = f"You already rated this ticket {survey.get_rating_display().lower()}; it can no longer be changed."
        detail = f"Ratings could be changed until {last_day}."
    else:
        message = "This ticket can no longer be rated."
        detail = f"Ratings could be given until {last_day}."
    return InvalidValue(message, details={"rating": [detail]})


@transaction.atomic
def survey_request(*, ticket_id: int) -> SatisfactionSurvey | None:
    """Ask the requester about this resolution: once per resolution, however often the event is delivered."""
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is None or ticket.status != Status.RESOLVED or ticket.resolved_at is None:
        return None  # reopened before the worker got here: nothing to ask about
    survey, created = SatisfactionSurvey.objects.get_or_create(ticket=ticket, resolved_at=ticket.resolved_at)
    if created:
        queue_outdated()  # the queue's row shows the ticket's survey ("Not rated")
        notifications.mail_survey(survey=survey, token=survey_token(survey))
    return survey


@transaction.atomic
def survey_rate(
    *, survey: SatisfactionSurvey, rating: str, comment: str = "", actor: User | None, now: datetime | None = None
) -> SatisfactionSurvey:
    """Record or change the rating. `actor` None is the holder of the mailed link; a signed-in user must be the
    ticket's requester."""
    now = now or timezone.now()
    survey = SatisfactionSurvey.objects.select_for_update().select_related("ticket").get(pk=survey.pk)
    if actor is not None and actor.pk != survey.ticket.requester_id:
        raise NotPermitted("Only the requester rates their ticket.")
    if rating not in Rating.values:
        raise InvalidValue("Choose good or bad.", details={"rating": ["Choose good or bad."]})
    if not survey.is_open(now):
        raise _survey_closed(survey)
    survey.rating = rating
    survey.comment = comment.strip()
    survey.rated_at = now
    survey.save(update_fields=["rating", "comment", "rated_at"])
    queue_outdated()  # the queue's row shows the rating
    event_record(
        kind=EventKind.CSAT_RATED,
        ticket=survey.ticket,
        actor=actor or survey.ticket.requester,
        internal=True,
        payload={"survey_id": survey.pk, "rating": rating},
    )
    return survey
