"""The next-response clock starts with a requester's reply after staff answered, never before the first response."""

from __future__ import annotations

from sla.models import Metric, SlaClock
from tests.sla.conftest import berlin
from tickets.models import Priority
from tickets.services import comment_create, ticket_create


def test_first_response_is_not_overridden_by_next_response_zammad_5177(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 10, 0))
    comment_create(ticket=ticket, author=alice, body="Any news?")
    running = {c.metric: c for c in SlaClock.objects.running().filter(ticket=ticket)}
    assert set(running) == {Metric.FIRST_RESPONSE, Metric.RESOLUTION}
    assert running[Metric.FIRST_RESPONSE].due_at == berlin(2026, 3, 2, 13, 0)


def test_a_requester_reply_after_an_answer_starts_the_next_response_and_the_answer_meets_it(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 9, 30))
    comment_create(ticket=ticket, author=bob, body="Looking.")
    clock.to(berlin(2026, 3, 2, 16, 0))
    comment_create(ticket=ticket, author=alice, body="Still down.")
    clock.to(berlin(2026, 3, 2, 16, 30))
    comment_create(ticket=ticket, author=alice, body="Hello?")
    waiting = SlaClock.objects.running().get(ticket=ticket, metric=Metric.NEXT_RESPONSE)
    assert waiting.started_at == berlin(2026, 3, 2, 16, 0)  # a second reply does not move the promise later
    assert waiting.due_at == berlin(2026, 3, 3, 10, 0)

    clock.to(berlin(2026, 3, 3, 9, 15))
    comment_create(ticket=ticket, author=bob, body="Restarted the server.")
    answered = SlaClock.objects.get(pk=waiting.pk)
    assert answered.met_at == berlin(2026, 3, 3, 9, 15) and answered.breached_at is None
    assert not SlaClock.objects.running().filter(ticket=ticket, metric=Metric.NEXT_RESPONSE).exists()
