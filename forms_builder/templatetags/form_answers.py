"""`{% ticket_answers ticket %}`: the answers a ticket was opened with, read through the version they were given to.

Labels and choice labels come from that version's document, not the form as it is now: relabelling a field or a
choice later never changes how an old ticket reads.

`{% private_link_card ticket %}`: on the staff ticket page, the private link of a public form's ticket, with the
button that revokes it and mails a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.core.exceptions import ObjectDoesNotExist

from forms_builder.models import Submission
from forms_builder.services import answer_display
from tickets.models import Ticket

register = template.Library()


@dataclass(frozen=True)
class AnswerRow:
    key: str
    label: str
    value: str


def answer_rows(submission: Submission) -> list[AnswerRow]:
    """The stored answers in the version's field order; fields left hidden or empty have no row."""
    answers = submission.answers or {}
    return [
        AnswerRow(spec["key"], spec["label"], answer_display(spec, answers[spec["key"]]))
        for spec in submission.version.definition.get("fields", [])
        if spec["key"] in answers
    ]


def submission_of(ticket: Ticket) -> Submission | None:
    """The ticket's submission: from the ticket query when the view joined it (`select_related("submission__version")`,
    which keeps the ticket pages' query budgets), else in one query of its own."""
    if Ticket.submission.is_cached(ticket):
        try:
            return ticket.submission
        except ObjectDoesNotExist:  # joined, and there is none: the ticket was opened without a form
            return None
    return Submission.objects.select_related("version").filter(ticket=ticket).first()


@register.inclusion_tag("forms_builder/includes/answers.html")
def ticket_answers(ticket: Ticket) -> dict[str, Any]:
    submission = submission_of(ticket)
    if submission is None:
        return {"rows": [], "submission": None}
    return {"rows": answer_rows(submission), "submission": submission}


@register.inclusion_tag("forms_builder/includes/private_link_card.html")
def private_link_card(ticket: Ticket) -> dict[str, Any]:
    submission = submission_of(ticket)
    has_link = submission is not None and submission.version.definition.get("form", {}).get("public", False)
    return {"ticket": ticket, "submission": submission if has_link else None}
