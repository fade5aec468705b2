"""An admin deleting an SLA policy while a ticket's write starts a clock under it: the write keeps the policy until
its commit, and the deletion takes the policy's running clocks and then the policy before it lists what goes with
it, so either waits for the other and neither ends in an IntegrityError (a 500).

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.http import HttpResponse

from sla.models import Metric, SlaClock, SlaPolicy, SlaTarget
from tests.sla.races import admin_deletes, edit_and_deletion_together
from tests.support.threads import parallel_on_postgresql
from tickets.models import Priority, Ticket

pytestmark = parallel_on_postgresql("real row locks and parallel connections")


def _urgent_only(office: object) -> SlaPolicy:
    """Promises urgent tickets a first response, and others nothing: a ticket made urgent starts a clock."""
    policy = SlaPolicy.objects.create(name="Urgent", position=1)
    SlaTarget.objects.create(policy=policy, priority=Priority.URGENT, first_response_minutes=60)
    return policy


def _made_urgent(agent: object, ticket: Ticket) -> HttpResponse:
    return agent.patch(f"/api/v1/tickets/{ticket.pk}/", {"priority": "urgent"}, format="json")


@pytest.mark.parametrize("deleted_by", ["delete-page", "delete-selected"])
def test_a_ticket_made_urgent_while_its_policy_is_being_deleted_is_saved_without_the_promise(
    monkeypatch, client_for, api_client_for, bob, carol, ticket, office, deleted_by
):
    """The edit read the policy before the deletion committed and started a clock naming it; its foreign key,
    checked at the commit, found the policy gone: an IntegrityError, a 500 for the agent and the edit lost. The edit
    now waits for the deletion, and then no policy promises the ticket anything."""
    policy = _urgent_only(office)
    admin, agent = client_for(carol), api_client_for(bob)

    edit, deletion = edit_and_deletion_together(
        monkeypatch,
        paused="deletion",
        edit=lambda: _made_urgent(agent, ticket),
        deletion=lambda: admin_deletes(admin, policy, deleted_by),
    )

    assert (edit.status_code, deletion.status_code) == (200, 302)
    assert not SlaPolicy.objects.filter(pk=policy.pk).exists()
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.URGENT
    assert not SlaClock.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize("deleted_by", ["delete-page", "delete-selected"])
def test_a_policy_deleted_while_a_ticket_starts_a_clock_under_it_waits_and_unsets_the_clocks_policy(
    monkeypatch, client_for, api_client_for, bob, carol, ticket, office, deleted_by
):
    """The edit started its clock under the policy first: the deletion found no clock of it to unset and deleted it,
    and whichever committed second failed on the clock's foreign key (a 500, the edit or the deletion lost). The
    deletion now waits for the edit, then unsets the policy of its clock, which, promised nothing any more, has no
    target."""
    policy = _urgent_only(office)
    admin, agent = client_for(carol), api_client_for(bob)

    edit, deletion = edit_and_deletion_together(
        monkeypatch,
        paused="edit",
        edit=lambda: _made_urgent(agent, ticket),
        deletion=lambda: admin_deletes(admin, policy, deleted_by),
    )

    assert (edit.status_code, deletion.status_code) == (200, 302)
    assert not SlaPolicy.objects.filter(pk=policy.pk).exists()
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.URGENT
    clocks = SlaClock.objects.filter(ticket=ticket)
    assert [(clock.metric, clock.policy_id, clock.target_minutes) for clock in clocks] == [
        (Metric.FIRST_RESPONSE, None, None)
    ]
