"""Read queries of satisfaction surveys."""

from __future__ import annotations

from django.db.models import Prefetch

from csat.models import SatisfactionSurvey
from tickets.models import Ticket


def latest_survey(ticket: Ticket) -> SatisfactionSurvey | None:
    """The survey of the ticket's latest resolution, rated or not."""
    surveys = getattr(ticket, "latest_surveys", None)
    if surveys is not None:
        return surveys[0] if surveys else None
    return ticket.surveys.order_by("-resolved_at", "-id").first()


def surveys_prefetch() -> Prefetch:
    """Each ticket's surveys, newest resolution first, on `ticket.latest_surveys`: one query for a page."""
    return Prefetch(
        "surveys", queryset=SatisfactionSurvey.objects.order_by("-resolved_at", "-id"), to_attr="latest_surveys"
    )
