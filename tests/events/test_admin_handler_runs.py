"""Failed background work is visible to admins, who can retry it; agents cannot see it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from events.models import HandlerRun, RunState
from tests.events import handlers
from tickets.services import ticket_create

pytestmark = pytest.mark.usefixtures("test_handlers")


@pytest.fixture
def failed_run(alice, settings, django_capture_on_commit_callbacks) -> HandlerRun:
    settings.EVENT_HANDLER_MAX_ATTEMPTS = 2
    handlers.failures_left[0] = 100
    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(requester=alice, subject="Printer on fire")
    return HandlerRun.objects.get(handler=handlers.fail_while_told.name, state=RunState.FAILED)


def test_admins_see_failed_runs_with_their_error(client_for, carol, failed_run):
    response = client_for(carol).get(reverse("admin:events_handlerrun_changelist"), {"state__exact": "failed"})
    assert response.status_code == 200
    assert handlers.fail_while_told.name in response.text
    detail = client_for(carol).get(reverse("admin:events_handlerrun_change", args=[failed_run.pk]))
    assert "downstream is down" in detail.text


def test_retrying_a_failed_run_runs_it_again(client_for, carol, failed_run, django_capture_on_commit_callbacks):
    handlers.failures_left[0] = 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(carol).post(
            reverse("admin:events_handlerrun_changelist"),
            {"action": "retry_selected", "_selected_action": [failed_run.pk]},
            follow=True,
        )
    assert "Queued 1 run again." in response.text
    failed_run.refresh_from_db()
    assert (failed_run.state, failed_run.attempts) == (RunState.SUCCEEDED, 1)
    assert handlers.seen == [failed_run.event_id, failed_run.event_id]


def test_agents_cannot_see_background_work(client_for, bob, failed_run):
    assert client_for(bob).get(reverse("admin:events_handlerrun_changelist")).status_code == 403
    assert client_for(bob).get(reverse("admin:events_event_changelist")).status_code == 403
