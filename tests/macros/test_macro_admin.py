"""Macros in the Django admin: saved through macros.services, so the same rules hold."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.services import user_create, user_update
from macros.models import Macro, MacroVisibility
from tests.conftest import PASSWORD
from tests.support.admin import deleted_once_validated
from tickets.models import Team


def admin_data(**overrides) -> dict[str, object]:
    data = {
        "name": "Admin macro",
        "body": "Hello {{ requester.name }}",
        "visibility": "everyone",
        "set_status": "",
        "set_priority": "",
        "add_tags": "VIP, Billing",
        "set_team": "",
        "set_assignee": "",
    }
    return {**data, **overrides}


def test_admin_creates_a_macro_owned_by_them_by_default(carol, client_for):
    client = client_for(carol)
    assert f'value="{carol.pk}"' in client.get(reverse("admin:macros_macro_add")).content.decode()

    response = client.post(reverse("admin:macros_macro_add"), admin_data(owner=carol.pk))

    assert response.status_code == 302, response.content.decode()[:2000]
    macro = Macro.objects.get()
    assert (macro.owner, macro.add_tags) == (carol, "vip, billing")


def test_admin_refuses_an_unknown_placeholder(carol, client_for):
    response = client_for(carol).post(
        reverse("admin:macros_macro_add"), admin_data(owner=carol.pk, body="{{ requester.password }}")
    )

    assert response.status_code == 200
    assert "Unknown placeholder: requester.password." in response.content.decode()
    assert not Macro.objects.exists()


def test_requesters_cannot_reach_the_macro_admin(mallory, client_for):
    response = client_for(mallory).get(reverse("admin:macros_macro_changelist"))

    assert response.status_code in (302, 404)


def test_admin_editing_a_macro_whose_agent_was_deactivated_is_refused_on_the_field(carol, bob, client_for):
    """The macro was valid when written; its agent was deactivated since. A save names them on the page (it was a
    500 from macro_save, and the edit was lost) and keeps what was typed."""
    dave = user_create(email="dave@example.com", password=PASSWORD, name="Dave Agent", role=Role.AGENT)
    macro = Macro.objects.create(name="Escalate", body="On it.", owner=bob, set_assignee=dave)
    user_update(user=dave, actor=carol, is_active=False)

    response = client_for(carol).post(
        reverse("admin:macros_macro_change", args=[macro.pk]),
        admin_data(owner=bob.pk, name="Escalate to Dave", set_assignee=dave.pk),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "set_assignee": ["Dave Agent is deactivated: tickets can only be assigned to active agents."]
    }
    assert "Escalate to Dave" in response.content.decode()
    macro.refresh_from_db()
    assert (macro.name, macro.set_assignee) == ("Escalate", dave)


def test_admin_editing_a_macro_whose_agent_was_deactivated_and_made_a_requester_is_told_why_once(
    carol, bob, client_for
):
    """The field takes only agents and Macro.clean says why the stored one cannot stay: the page said both, a
    "Select a valid choice" beside the reason."""
    dave = user_create(email="dave@example.com", password=PASSWORD, name="Dave Agent", role=Role.AGENT)
    macro = Macro.objects.create(name="Escalate", body="On it.", owner=bob, set_assignee=dave)
    user_update(user=dave, actor=carol, is_active=False, role=Role.REQUESTER)

    response = client_for(carol).post(
        reverse("admin:macros_macro_change", args=[macro.pk]), admin_data(owner=bob.pk, set_assignee=dave.pk)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "set_assignee": ["Dave Agent is deactivated: tickets can only be assigned to active agents."]
    }
    macro.refresh_from_db()
    assert macro.set_assignee == dave


def test_admin_cannot_pick_a_requester_as_a_macros_assignee(carol, bob, alice, client_for):
    response = client_for(carol).post(
        reverse("admin:macros_macro_add"), admin_data(owner=bob.pk, set_assignee=alice.pk)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "set_assignee": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert not Macro.objects.exists()


def rows_kept(queries: list[dict[str, str]]) -> list[str]:
    """The reads keeping a named row (tickets.services.common._row_kept), which select its id alone."""
    return [query["sql"] for query in queries if '"id" AS "pk" FROM ' in query["sql"]]


def test_admin_saving_a_macro_keeps_each_row_it_names_with_one_read(
    carol, bob, client_for, django_assert_max_num_queries
):
    tier2 = Team.objects.create(name="Tier 2")
    form = admin_data(owner=carol.pk, visibility=MacroVisibility.TEAM, shared_team=tier2.pk, set_team=tier2.pk)
    client = client_for(carol)
    ContentType.objects.get_for_model(Macro)  # read once per process for the change log, whichever test runs first

    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(23):
        response = client.post(reverse("admin:macros_macro_add"), {**form, "set_assignee": bob.pk})

    assert response.status_code == 302
    assert len(rows_kept(queries.captured_queries)) == 3  # the owner, the team (named twice), the assignee
    assert Macro.objects.get().set_assignee == bob


def test_admin_saving_a_macro_naming_a_team_deleted_meanwhile_is_told_on_the_field(monkeypatch, carol, client_for):
    tier2 = Team.objects.create(name="Tier 2")
    deleted_once_validated(monkeypatch, Macro, tier2)

    response = client_for(carol).post(reverse("admin:macros_macro_add"), admin_data(owner=carol.pk, set_team=tier2.pk))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"set_team": ["This team no longer exists."]}
    assert not Macro.objects.exists()
