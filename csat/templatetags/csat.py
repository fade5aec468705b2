from __future__ import annotations

from typing import Any

from django import template

from csat.forms import RatingForm
from csat.selectors import latest_survey
from tickets.models import Ticket

register = template.Library()


@register.inclusion_tag("csat/includes/rating_badge.html")
def csat_badge(ticket: Ticket) -> dict[str, Any]:
    """Staff: the rating of the latest resolution. Reads `latest_surveys` when prefetched (csat.selectors)."""
    return {"survey": latest_survey(ticket)}


@register.inclusion_tag("csat/includes/requester_rating.html")
def csat_requester_form(ticket: Ticket, posted: RatingForm | None = None) -> dict[str, Any]:
    """The requester: rate (or change the rating of) the latest resolution while that is still possible. `posted`:
    their rating sent back with errors, shown as they sent it."""
    survey = latest_survey(ticket)
    form = posted or (RatingForm(initial={"rating": survey.rating, "comment": survey.comment}) if survey else None)
    return {"survey": survey, "ticket": ticket, "form": form}
