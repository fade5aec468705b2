"""A configuration save keeping the rows it names and an admin deleting several rows lock them in one order, by model
then by id (tickets.services.common.lock_order), so neither can deadlock the other (PostgreSQL ends one of the two,
a 503 to its admin).

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import threading

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.urls import reverse

from automations.models import Rule
from tests.support.servers import wait_until
from tests.support.threads import parallel_on_postgresql, run_together, someone_waits_for_a_lock
from tickets.models import Team
from tickets.services.common import ensure_configured_rows_remain

pytestmark = parallel_on_postgresql("real row locks and parallel connections")


def teams_lower_and_higher() -> tuple[Team, Team]:
    # Named so that the admin's list (by name) shows the higher id first.
    lower = Team.objects.create(name="Zulu")
    higher = Team.objects.create(name="Alpha")
    assert lower.pk < higher.pk
    return lower, higher


def test_a_rule_saved_naming_two_teams_locks_them_in_id_order_so_a_deletion_of_both_cannot_deadlock_it(
    client_for, carol
):
    """The rule names the higher team first (its action) and the lower one after (its condition)."""
    lower, higher = teams_lower_and_higher()
    browser = client_for(carol)
    deleting_the_lower = threading.Event()

    def deletion_locking_in_id_order() -> None:
        with transaction.atomic():
            Team.objects.select_for_update().get(pk=lower.pk)
            deleting_the_lower.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the save waiting for the lower team")
            Team.objects.select_for_update().get(pk=higher.pk)

    def admin_saves_rule() -> object:
        assert deleting_the_lower.wait(timeout=10)
        form = {
            "name": "Escalate", "is_active": "on", "trigger": "ticket_created", "position": 0,
            "conditions": f'{{"team": "{lower.pk}"}}', "set_team": higher.pk,
        }  # fmt: skip
        return browser.post(reverse("admin:automations_rule_add"), form)

    _, response = run_together([deletion_locking_in_id_order, admin_saves_rule])

    assert response.status_code == 302
    assert Rule.objects.get().set_team == higher


def test_teams_deleted_together_are_locked_in_id_order_so_a_save_naming_both_cannot_deadlock_it(client_for, carol):
    """The admin's list shows the higher id first; the deletion takes the lower first all the same."""
    lower, higher = teams_lower_and_higher()
    browser = client_for(carol)
    keeping_the_lower = threading.Event()

    def save_keeping_both_in_id_order() -> None:
        with transaction.atomic():
            ensure_configured_rows_remain(Rule(set_team=lower))
            keeping_the_lower.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the deletion waiting for the lower team")
            ensure_configured_rows_remain(Rule(set_team=higher))

    def admin_deletes_both() -> object:
        assert keeping_the_lower.wait(timeout=10)
        form = {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: [higher.pk, lower.pk]}
        return browser.post(reverse("admin:tickets_team_changelist"), form)

    _, response = run_together([save_keeping_both_in_id_order, admin_deletes_both])

    assert response.status_code == 302
    assert not Team.objects.exists()
