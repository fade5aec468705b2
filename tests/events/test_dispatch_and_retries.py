"""After commit an event reaches each of its handlers; a failing one is retried with backoff, then left failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event, EventKind, HandlerRun, RunState
from events.services import event_dispatch, handler_run_failed, retry_delay
from tests.events import handlers
from tickets.services import ticket_create

pytestmark = pytest.mark.usefixtures("test_handlers")


def open_ticket(alice, capture):
    with capture(execute=True):
        return ticket_create(requester=alice, subject="Printer on fire")


def test_nothing_runs_before_the_change_commits(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        ticket_create(requester=alice, subject="Printer on fire")
    assert handlers.seen == []
    assert not HandlerRun.objects.exists()


def test_after_commit_every_handler_runs_once(alice, django_capture_on_commit_callbacks):
    ticket = open_ticket(alice, django_capture_on_commit_callbacks)
    event = Event.objects.get(ticket=ticket, kind=EventKind.TICKET_CREATED)
    assert handlers.seen == [event.pk, event.pk]
    assert set(event.runs.values_list("state", flat=True)) == {RunState.SUCCEEDED}
    event.refresh_from_db()
    assert event.dispatched_at is not None


def test_dispatching_again_runs_nothing_twice(alice, django_capture_on_commit_callbacks):
    ticket = open_ticket(alice, django_capture_on_commit_callbacks)
    event = Event.objects.get(ticket=ticket, kind=EventKind.TICKET_CREATED)
    event_dispatch(event_id=event.pk)
    assert handlers.seen == [event.pk, event.pk]
    assert event.runs.count() == 2


def test_a_failing_handler_is_retried_until_it_succeeds(alice, django_capture_on_commit_callbacks):
    handlers.failures_left[0] = 2
    ticket = open_ticket(alice, django_capture_on_commit_callbacks)
    run = HandlerRun.objects.get(event__ticket=ticket, handler=handlers.fail_while_told.name)
    assert (run.state, run.attempts, run.last_error) == (RunState.SUCCEEDED, 3, "")


def test_a_handler_that_keeps_failing_ends_failed_with_its_error(alice, settings, django_capture_on_commit_callbacks):
    settings.EVENT_HANDLER_MAX_ATTEMPTS = 4
    handlers.failures_left[0] = 100
    ticket = open_ticket(alice, django_capture_on_commit_callbacks)
    run = HandlerRun.objects.get(event__ticket=ticket, handler=handlers.fail_while_told.name)
    assert (run.state, run.attempts) == (RunState.FAILED, 4)
    assert "RuntimeError: downstream is down" in run.last_error
    # The other handler of the same event is not held back by it.
    assert HandlerRun.objects.get(event__ticket=ticket, handler=handlers.record_event.name).state == RunState.SUCCEEDED


def test_a_retry_is_scheduled_with_growing_jittered_delays(settings):
    settings.EVENT_RETRY_BASE_SECONDS = 30
    settings.EVENT_RETRY_MAX_SECONDS = 3600
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)]:
        delays = {retry_delay(attempts) for _ in range(20)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1


def test_a_failed_attempt_makes_the_run_due_again_after_its_delay(alice, settings, django_capture_on_commit_callbacks):
    ticket = open_ticket(alice, django_capture_on_commit_callbacks)
    run = HandlerRun.objects.get(event__ticket=ticket, handler=handlers.record_event.name)
    run.attempts = 1
    before = timezone.now()
    delay = handler_run_failed(run=run, error=RuntimeError("timeout"))
    run.refresh_from_db()
    assert run.state == RunState.PENDING
    assert before + timedelta(seconds=delay) <= run.next_attempt_at <= timezone.now() + timedelta(seconds=delay)
