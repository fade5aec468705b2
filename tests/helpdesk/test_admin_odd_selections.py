"""An admin list's action or list edit on an id no row can have (`abc`, `1.5`, a number past 64 bits) is answered as
Django answers an empty selection: "Items must be selected…", back to the list, nothing changed. Before, the id
reached the database: a ValueError on every database, an OverflowError from SQLite's driver. Every registered admin
is walked, so a new one is covered without touching this file."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from sla.models import SlaPolicy
from tests.support.hostile import row_counts
from tickets.models import Team

pytestmark = pytest.mark.django_db

CHANGELISTS = sorted(
    f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist" for model in admin.site._registry
)
ODD_IDS = ["99999999999999999999", "-99999999999999999999", "abc", "1.5", ""]
NOTHING_SELECTED = "Items must be selected in order to perform actions on them. No items have been changed."


def _messages(response: object) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_every_admin_action_on_an_id_no_row_can_have_warns_and_changes_nothing(client_for, carol, changelist):
    client = client_for(carol)
    url = reverse(changelist)
    action_form = client.get(url).context["action_form"]
    actions = [name for name, _ in action_form.fields["action"].choices if name] if action_form else []
    before = row_counts()

    for selected in ODD_IDS:
        for action in actions or ["delete_selected"]:
            response = client.post(url, {"action": action, "index": "0", ACTION_CHECKBOX_NAME: selected})

            if actions:
                assert (response.status_code, response["Location"]) == (302, url), (action, selected)
                assert NOTHING_SELECTED in _messages(response), (action, selected)
            else:  # a list without actions shows itself again, as Django has it
                assert response.status_code == 200, selected
    assert row_counts() == before


def test_a_confirmed_delete_of_real_rows_with_one_odd_id_among_them_deletes_nothing(client_for, carol):
    teams = [Team.objects.create(name=name) for name in ("Support", "Billing")]
    url = reverse("admin:tickets_team_changelist")

    response = client_for(carol).post(
        url,
        {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: [teams[0].pk, "abc", teams[1].pk]},
    )

    assert (response.status_code, response["Location"]) == (302, url)
    assert NOTHING_SELECTED in _messages(response)
    assert Team.objects.count() == 2


def test_a_list_edit_of_an_id_past_64_bits_is_refused_on_the_list(client_for, carol):
    """Django checks an edited row's id is a number (`abc` is refused on the list), not that a column can hold it."""
    policy = SlaPolicy.objects.create(name="Urgent", position=1, is_active=True)
    management = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0"}

    response = client_for(carol).post(
        reverse("admin:sla_slapolicy_changelist"),
        {
            **management,
            "form-MAX_NUM_FORMS": "1000",
            "_save": "Save",
            "form-0-id": "99999999999999999999",
            "form-0-position": "5",
        },
    )

    assert response.status_code == 200
    assert response.context["cl"].formset.errors[0]["id"]
    policy.refresh_from_db()
    assert policy.position == 1
