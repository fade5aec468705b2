"""The sweep re-sends what a crash or a broker outage left behind, and nothing that is merely on its way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events import services, tasks
from events.models import Event, EventKind, HandlerRun, RunState
from events.services import events_sweep
from tests.events import handlers
from tickets.services import ticket_create

pytestmark = pytest.mark.usefixtures("test_handlers")


def refuse(*args, **kwargs):
    """Queuing fails as it does when Redis is unreachable."""
    raise ConnectionError("broker unreachable")


def test_an_event_committed_while_the_broker_is_down_is_kept_and_swept_later(
    alice, caplog, django_capture_on_commit_callbacks
):
    with pytest.MonkeyPatch.context() as broker_down, django_capture_on_commit_callbacks(execute=True):
        broker_down.setattr(tasks.event_dispatch, "apply_async", refuse)
        ticket = ticket_create(requester=alice, subject="Printer on fire")
    event = Event.objects.get(ticket=ticket, kind=EventKind.TICKET_CREATED)
    assert event.dispatched_at is None
    assert "the sweep will send it again" in caplog.text

    # The broker is back.
    assert events_sweep().events == 0  # not yet overdue: it may still be on its way
    later = timezone.now() + timedelta(minutes=10)
    assert events_sweep(now=later).events == 1
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert handlers.seen == [event.pk, event.pk]


def test_a_run_whose_message_was_lost_is_sent_again_once_overdue(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(requester=alice, subject="Printer on fire")
    run = HandlerRun.objects.get(event__ticket=ticket, handler=handlers.record_event.name)
    # As if the worker died holding its retry: pending, due a while ago, never re-sent.
    HandlerRun.objects.filter(pk=run.pk).update(state=RunState.PENDING, next_attempt_at=timezone.now())
    handlers.seen.clear()

    assert events_sweep().runs == 0
    result = events_sweep(now=timezone.now() + timedelta(minutes=10))
    assert result.runs == 1
    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED
    assert handlers.seen == [run.event_id]


def test_a_run_left_running_by_a_killed_worker_is_sent_again_after_the_time_limit(
    alice, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(requester=alice, subject="Printer on fire")
    started = timezone.now()
    HandlerRun.objects.filter(event__ticket=ticket).update(state=RunState.RUNNING, started_at=started)

    just_past_redelivery = started + timedelta(seconds=settings.EVENT_REDELIVER_AFTER_SECONDS + 1)
    assert events_sweep(now=just_past_redelivery).runs == 0  # it may still be running
    past_time_limit = just_past_redelivery + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    assert events_sweep(now=past_time_limit).runs == 2
    assert set(HandlerRun.objects.values_list("state", flat=True)) == {RunState.SUCCEEDED}


def test_the_sweep_leaves_finished_runs_alone(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(requester=alice, subject="Printer on fire")
    handlers.seen.clear()
    assert events_sweep(now=timezone.now() + timedelta(days=1)) == services.SweepResult(events=0, runs=0)
    assert handlers.seen == []


def test_a_handler_whose_worker_dies_every_time_ends_failed_after_the_allowed_attempts(
    alice, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """A handler that kills its worker (out of memory, a crash in C code, the hard time limit) never raises in
    Python, so handler_run_failed never sees it: the sweep must count those attempts, or it would re-send the run
    for ever and it would never show as failed."""
    settings.EVENT_HANDLER_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(requester=alice, subject="Printer on fire")
    run = HandlerRun.objects.get(event__ticket=ticket, handler=handlers.record_event.name)
    HandlerRun.objects.filter(pk=run.pk).update(state=RunState.PENDING, attempts=0)

    resent: list[tuple[object, ...]] = []
    monkeypatch.setattr(services, "send_to_worker", lambda task, *args: resent.append(args) or True)
    now = timezone.now()
    for _ in range(10):
        # A worker takes the message, claims the run, and dies before it can record anything.
        services.handler_run_start(event_id=run.event_id, handler=run.handler)
        now += timedelta(seconds=settings.EVENT_REDELIVER_AFTER_SECONDS + settings.CELERY_TASK_TIME_LIMIT + 1)
        events_sweep(now=now)

    run.refresh_from_db()
    assert run.state == RunState.FAILED, f"{run.state} after {run.attempts} attempts, re-sent {len(resent)} times"


def test_runs_of_a_handler_removed_in_a_deploy_do_not_stop_the_sweep_resending_lost_runs(
    alice, django_capture_on_commit_callbacks
):
    """The sweep takes the 500 oldest overdue runs at a time. Runs whose handler is gone (a renamed task, with a
    backlog at deploy time) must not take up that batch for ever: were they skipped and left as they are, once 500
    of them existed no lost run would ever be re-sent again."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(requester=alice, subject="Printer on fire")
    run = HandlerRun.objects.get(event__ticket=ticket, handler=handlers.record_event.name)
    HandlerRun.objects.filter(pk=run.pk).update(state=RunState.PENDING, next_attempt_at=timezone.now())

    long_ago = timezone.now() - timedelta(days=1)
    events = Event.objects.bulk_create(
        [
            Event(kind=EventKind.TICKET_CREATED, ticket=ticket, dispatched_at=long_ago)
            for _ in range(services.SWEEP_BATCH)
        ]
    )
    HandlerRun.objects.bulk_create(
        [HandlerRun(event=event, handler="tickets.tasks.renamed_since", next_attempt_at=long_ago) for event in events]
    )
    handlers.seen.clear()

    events_sweep(now=timezone.now() + timedelta(minutes=10))

    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED and handlers.seen == [run.event_id], run.state
