"""A deactivated requester's survey links open nothing, as their private links do; reactivated, they work again."""

from __future__ import annotations

import re

from django.core import mail

from accounts.services import user_update
from csat.models import SatisfactionSurvey
from tickets.models import Status
from tickets.services import ticket_change_status


def _links(ticket, bob, capture) -> tuple[str, str]:
    with capture(execute=True):
        ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    survey_mail = next(m for m in mail.outbox if "How did we do?" in m.subject)
    confirm = re.search(r"^Good:\s+http://[^/]+(\S+)$", survey_mail.body, flags=re.MULTILINE).group(1)
    submit = confirm.split("rate/")[0]
    return confirm, submit


def test_a_deactivated_requesters_survey_link_opens_nothing_until_reactivated(
    ticket, alice, bob, carol, client, django_capture_on_commit_callbacks
):
    confirm, submit = _links(ticket, bob, django_capture_on_commit_callbacks)

    user_update(user=alice, actor=carol, is_active=False)
    assert client.get(confirm).status_code == 404
    assert client.post(submit, {"rating": "good"}).status_code == 404
    assert SatisfactionSurvey.objects.get().rating == ""

    user_update(user=alice, actor=carol, is_active=True)
    assert client.get(confirm).status_code == 200
    assert client.post(submit, {"rating": "good"}).status_code == 200
    assert SatisfactionSurvey.objects.get().rating == "good"
