"""Admins set opening hours and policies in the admin; a policy's conditions are the ticket filters."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.urls import reverse

from events.models import Event, EventKind
from sla.models import BusinessCalendar, Metric, SlaClock, SlaPolicy, SlaRefreshRequest
from sla.services import sla_sweep
from sla.tasks import sla_refresh_open_tickets
from tests.sla.conftest import berlin, refuse
from tests.support.admin import deleted_once_validated, shown_messages
from tickets.models import Priority
from tickets.services import ticket_create


def _policy_form(conditions: str) -> dict[str, str]:
    return {
        "name": "Urgent",
        "position": "1",
        "is_active": "on",
        "conditions": conditions,
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-0-priority": "40",
        "targets-0-first_response_minutes": "240",
        "targets-0-business_hours": "on",
    }


def test_an_admin_adds_a_policy_with_conditions_and_a_target(carol, client_for, db):
    response = client_for(carol).post(reverse("admin:sla_slapolicy_add"), _policy_form('{"priority": "urgent"}'))
    assert response.status_code == 302
    policy = SlaPolicy.objects.get()
    assert policy.conditions == {"priority": "urgent"}
    assert policy.targets.get().first_response_minutes == 240


def test_unknown_or_invalid_conditions_are_refused_with_their_names(carol, client_for, db):
    client = client_for(carol)
    for conditions, expected in [
        ('{"colour": "red", "sla": "breached"}', ["colour: Unknown condition.", "sla: This condition cannot"]),
        ('{"priority": "extreme"}', ["priority: Select a valid choice."]),
    ]:
        response = client.post(reverse("admin:sla_slapolicy_add"), _policy_form(conditions))
        assert response.status_code == 200
        errors = " ".join(response.context["adminform"].form.errors["conditions"])
        assert all(message in errors for message in expected), errors
    assert not SlaPolicy.objects.exists()


def test_a_calendar_refuses_an_unknown_time_zone_or_holiday_region(carol, client_for, db):
    form = {
        "name": "Munich",
        "time_zone": "Europe/Munich",
        "holiday_country": "DE",
        "holiday_region": "XX",
        **{f"{name}-TOTAL_FORMS": "0" for name in ("opening_hours", "special_days", "team_links")},
        **{f"{name}-INITIAL_FORMS": "0" for name in ("opening_hours", "special_days", "team_links")},
    }
    response = client_for(carol).post(reverse("admin:sla_businesscalendar_add"), form)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "time_zone" in errors and "holiday_region" in errors
    assert not BusinessCalendar.objects.filter(name="Munich").exists()


def test_mallory_and_bob_cannot_edit_policies(mallory, bob, client_for, db):
    assert client_for(mallory).get(reverse("admin:sla_slapolicy_changelist")).status_code == 302
    assert client_for(bob).get(reverse("admin:sla_slapolicy_changelist")).status_code == 403


def test_changing_a_target_in_the_admin_moves_the_due_time_of_open_tickets(
    carol, alice, bob, client_for, policy, clock, django_capture_on_commit_callbacks
):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 10, 0))
    targets = list(policy.targets.order_by("id"))
    form = {"name": policy.name, "position": "10", "is_active": "on", "conditions": "{}"}
    form |= {"targets-TOTAL_FORMS": str(len(targets)), "targets-INITIAL_FORMS": str(len(targets))}
    for index, target in enumerate(targets):
        prefix = f"targets-{index}-"
        form |= {
            f"{prefix}id": str(target.pk),
            f"{prefix}policy": str(policy.pk),
            f"{prefix}priority": str(target.priority),
        }
        form |= {f"{prefix}next_response_minutes": str(target.next_response_minutes)}
        form |= {f"{prefix}resolution_minutes": str(target.resolution_minutes), f"{prefix}business_hours": "on"}
        minutes = 120 if target.priority == Priority.URGENT else target.first_response_minutes
        form |= {f"{prefix}first_response_minutes": str(minutes)}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(carol).post(reverse("admin:sla_slapolicy_change", args=[policy.pk]), form)
    assert response.status_code == 302
    first = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert first.target_minutes == 120 and first.due_at == berlin(2026, 3, 2, 11, 0)


def test_deleting_a_policy_from_the_admin_list_takes_its_due_times_off_open_tickets(
    carol, alice, bob, client_for, policy, clock, django_capture_on_commit_callbacks
):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    assert SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE).due_at == berlin(2026, 3, 2, 13, 0)
    clock.to(berlin(2026, 3, 2, 10, 0))
    form = {"action": "delete_selected", "_selected_action": [str(policy.pk)], "post": "yes"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(carol).post(reverse("admin:sla_slapolicy_changelist"), form)
    assert response.status_code == 302 and not SlaPolicy.objects.exists()

    # As deleting it from its own page does (RefreshOpenTicketsMixin.delete_model): no promise, no due time.
    first = SlaClock.objects.running().get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert first.target_minutes is None and first.due_at is None
    clock.to(berlin(2026, 3, 2, 13, 5))
    sla_sweep()
    assert not Event.objects.filter(ticket=ticket, kind=EventKind.SLA_BREACHED).exists()


def test_a_target_changed_while_the_broker_is_down_reaches_open_tickets_through_the_sweep(
    carol, alice, bob, client_for, policy, clock, django_capture_on_commit_callbacks
):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    urgent = policy.targets.get(priority=Priority.URGENT)
    form = {"name": policy.name, "position": "10", "is_active": "on", "conditions": "{}"}
    form |= {"targets-TOTAL_FORMS": "1", "targets-INITIAL_FORMS": "1", "targets-0-id": str(urgent.pk)}
    form |= {"targets-0-policy": str(policy.pk), "targets-0-priority": str(urgent.priority)}
    form |= {"targets-0-first_response_minutes": "120", "targets-0-business_hours": "on"}
    with pytest.MonkeyPatch.context() as broker_down, django_capture_on_commit_callbacks(execute=True):
        broker_down.setattr(sla_refresh_open_tickets, "apply_async", refuse)
        response = client_for(carol).post(reverse("admin:sla_slapolicy_change", args=[policy.pk]), form)
    assert response.status_code == 302
    first = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert first.due_at == berlin(2026, 3, 2, 13, 0)  # not refreshed yet: the worker never heard of it

    # The broker is back: the sweep does not flood a busy queue at once, but sends what was lost once overdue.
    sla_sweep()
    assert SlaClock.objects.get(pk=first.pk).due_at == berlin(2026, 3, 2, 13, 0)
    clock.to(berlin(2026, 3, 2, 9, 30))
    sla_sweep()
    first.refresh_from_db()
    assert first.target_minutes == 120 and first.due_at == berlin(2026, 3, 2, 11, 0)
    assert not SlaRefreshRequest.objects.exists()  # done: the next sweeps queue nothing more


def test_editing_three_policies_in_the_admin_list_queues_one_refresh(
    carol, client_for, policy, monkeypatch, django_capture_on_commit_callbacks
):
    others = [SlaPolicy.objects.create(name=f"Policy {n}", position=20 + n) for n in range(2)]
    rows = [policy, *others]
    form = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "3", "_save": "Save"}
    for index, row in enumerate(rows):
        form |= {f"form-{index}-id": str(row.pk), f"form-{index}-position": str(100 + index)}
    sent: list[dict] = []
    monkeypatch.setattr(sla_refresh_open_tickets, "apply_async", lambda *args, **kwargs: sent.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(carol).post(reverse("admin:sla_slapolicy_changelist"), form)

    assert response.status_code == 302
    assert sorted(SlaPolicy.objects.values_list("position", flat=True)) == [100, 101, 102]  # all three saved
    assert len(sent) == 1  # one message for the one save, its run serves every request
    assert SlaRefreshRequest.objects.exists()


def test_a_condition_value_that_is_not_text_is_refused_once_not_a_server_error(carol, client_for, db):
    """Only text names a row (tickets.naming): a number, even one JSON lets through and no id can be, is refused
    as invalid, once, with no talk of a row deleted meanwhile."""
    client = client_for(carol)
    for conditions, name in [
        ('{"team": Infinity}', "team"),
        ('{"team": 999}', "team"),
        ('{"category": 1e400}', "category"),
    ]:
        response = client.post(reverse("admin:sla_slapolicy_add"), _policy_form(conditions))
        assert response.status_code == 200, conditions
        assert response.context["adminform"].form.errors == {
            "conditions": [f"{name}: Give the value as text, as in a query string."]
        }
    assert not SlaPolicy.objects.exists()


def test_a_condition_naming_no_team_says_so_once(carol, client_for, db):
    response = client_for(carol).post(reverse("admin:sla_slapolicy_add"), _policy_form('{"team": "999"}'))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["conditions"]
    assert len(errors) == 1 and errors[0].startswith("team: Select a valid choice."), errors


def _policy_list_form(*rows: tuple[SlaPolicy, int]) -> dict[str, str]:
    """The policies' list saved with each row's new position, each left active."""
    form = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": str(len(rows)), "_save": "Save"}
    for index, (row, position) in enumerate(rows):
        form |= {f"form-{index}-id": str(row.pk), f"form-{index}-position": str(position)}
        form |= {f"form-{index}-is_active": "on"}
    return form


def test_saving_the_policy_list_keeps_a_name_and_conditions_changed_meanwhile(monkeypatch, carol, client_for, policy):
    """The list read the row to save its position; another admin's change of its name and conditions committed
    before the list's save did. The list wrote back every column it had read, undoing that change."""
    validated = SlaPolicy.clean

    def changed_once_validated(row: SlaPolicy) -> None:
        validated(row)
        SlaPolicy.objects.filter(pk=policy.pk).update(name="Urgent only", conditions={"priority": "urgent"})

    monkeypatch.setattr(SlaPolicy, "clean", changed_once_validated)

    response = client_for(carol).post(reverse("admin:sla_slapolicy_changelist"), _policy_list_form((policy, 20)))

    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.position, policy.name, policy.conditions) == (20, "Urgent only", {"priority": "urgent"})


def test_a_policy_deleted_while_the_list_is_saved_is_refused_on_the_list_and_not_brought_back(
    monkeypatch, carol, client_for, policy
):
    """The list read the row; another admin's deletion committed before the list's save did. The save found no row
    to update, so inserted it again: a deleted policy back, without its targets."""
    other = SlaPolicy.objects.create(name="Other", position=30)
    deleted_once_validated(monkeypatch, SlaPolicy, policy)

    response = client_for(carol).post(
        reverse("admin:sla_slapolicy_changelist"), _policy_list_form((policy, 20), (other, 40))
    )

    assert response.status_code == 200
    errors = [form.non_field_errors() for form in response.context["cl"].formset.forms]
    assert errors[0] == ["The SLA policy “Standard” was deleted meanwhile."] and not errors[1]
    assert "was deleted meanwhile" in response.text  # shown on the page, above its row
    assert list(SlaPolicy.objects.values_list("name", "position")) == [("Other", 30)]  # nothing of the save


def _list_as_shown(response, positions: dict[int, int] | None = None) -> dict[str, str]:
    """The policies' list page sent back as it showed each row (its id, position and active box), with the new
    positions of the rows in `positions` (by id)."""
    formset = response.context["cl"].formset
    management = formset.management_form
    form = {management[name].html_name: str(management[name].value()) for name in management.fields} | {"_save": "Save"}
    for row in formset.forms:
        pk = int(row["id"].value())
        position = (positions or {}).get(pk, row["position"].value())
        form |= {f"{row.prefix}-id": str(pk), f"{row.prefix}-position": str(position)}
        if row["is_active"].value():
            form[f"{row.prefix}-is_active"] = "on"
    return form


def shown_rows(response) -> list[tuple[str, str, str]]:
    """Each row of the list shown again: the policy's name, and the id and position of the inputs next to it."""
    cl = response.context["cl"]
    return [
        (row.name, str(form["id"].value()), str(form["position"].value()))
        for row, form in zip(cl.result_list, cl.formset.forms, strict=True)
    ]


def test_a_policy_deleted_before_the_list_is_sent_shows_the_list_afresh_and_saves_nothing(carol, client_for, policy):
    """The page listed the row; another admin deleted it before the page's save was sent. The list shown again read
    the rows left, while its inputs were still the page's: the row after the deleted one showed the deleted one's
    position and id next to its name."""
    other = SlaPolicy.objects.create(name="Other", position=30)
    last = SlaPolicy.objects.create(name="Last", position=50)
    client = client_for(carol)
    url = reverse("admin:sla_slapolicy_changelist")
    form = _list_as_shown(client.get(url), {policy.pk: 20, other.pk: 40, last.pk: 60})
    policy.delete()  # by another admin

    response = client.post(url, form, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert shown_messages(response) == [
        "One of these SLA policies was deleted meanwhile. Nothing was saved; the list is shown as it is now: make "
        "your changes again."
    ]
    assert shown_rows(response) == [("Other", str(other.pk), "30"), ("Last", str(last.pk), "50")]
    assert list(SlaPolicy.objects.values_list("name", "position")) == [("Other", 30), ("Last", 50)]


def test_a_list_refused_after_another_admin_reordered_it_shows_each_row_with_its_own_inputs(carol, client_for, policy):
    """The list is ordered by position: another admin's change of one moved it meanwhile. The list shown again for
    its error read the rows in their new order, next to the inputs in the page's."""
    other = SlaPolicy.objects.create(name="Other", position=30)
    client = client_for(carol)
    url = reverse("admin:sla_slapolicy_changelist")
    form = _list_as_shown(client.get(url), {policy.pk: -1})
    SlaPolicy.objects.filter(pk=other.pk).update(position=1)  # by another admin: now listed first

    response = client.post(url, form)

    assert response.status_code == 200
    assert shown_rows(response) == [("Standard", str(policy.pk), "-1"), ("Other", str(other.pk), "30")]
    assert response.context["cl"].formset.errors[0] == {
        "position": ["Ensure this value is greater than or equal to 0."]
    }


def test_deleting_policies_from_the_list_asks_first_then_deletes_and_logs_in_the_lists_transaction(
    carol, client_for, policy
):
    """The list's actions go through changelist_view too, which ListedRowsKeptMixin runs in one transaction."""
    client = client_for(carol)
    url = reverse("admin:sla_slapolicy_changelist")
    chosen = {"action": "delete_selected", "_selected_action": [str(policy.pk)]}

    asked = client.post(url, {**chosen, "index": "0"})
    assert asked.status_code == 200 and "Are you sure" in asked.text and SlaPolicy.objects.exists()

    response = client.post(url, {**chosen, "post": "yes"})

    assert response.status_code == 302 and not SlaPolicy.objects.exists()
    assert LogEntry.objects.get().action_flag == DELETION
    assert SlaRefreshRequest.objects.exists()  # RefreshOpenTicketsMixin.delete_queryset


def test_a_list_edit_is_logged_with_what_changed_and_refreshes_open_tickets(carol, client_for, policy):
    other = SlaPolicy.objects.create(name="Other", position=30)
    client = client_for(carol)
    url = reverse("admin:sla_slapolicy_changelist")

    refused = client.post(url, _policy_list_form((policy, -1), (other, 40)))
    assert refused.status_code == 200
    assert refused.context["cl"].formset.errors[0] == {"position": ["Ensure this value is greater than or equal to 0."]}
    assert not LogEntry.objects.exists() and not SlaRefreshRequest.objects.exists()

    response = client.post(url, _policy_list_form((policy, 20), (other, 30)))

    assert response.status_code == 302
    (entry,) = LogEntry.objects.all()
    assert (entry.object_id, entry.action_flag) == (str(policy.pk), CHANGE)
    assert entry.get_change_message() == "Changed Position."
    assert SlaRefreshRequest.objects.count() == 1  # RefreshOpenTicketsMixin.save_related, for the one row changed
