"""The role audit log in the Django admin: a read-only list, and the history on each user's page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role, RoleChange
from accounts.services import user_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def promotions(carol, alice, mallory) -> list[RoleChange]:
    user_update(user=alice, actor=carol, role=Role.AGENT)
    user_update(user=mallory, actor=carol, role=Role.ADMIN)
    return list(RoleChange.objects.all())


def test_audit_list_shows_whose_role_changed_how_and_by_whom(carol, promotions, client_for):
    response = client_for(carol).get(reverse("admin:accounts_rolechange_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Requester → Agent" in page and "Requester → Admin" in page
    assert "Alice Requester" in page and "Carol Admin" in page


def test_audit_list_is_searched_by_email(carol, promotions, client_for):
    response = client_for(carol).get(reverse("admin:accounts_rolechange_changelist"), {"q": "mallory@"})

    assert list(response.context["cl"].result_list) == [RoleChange.objects.get(user__email="mallory@example.com")]


def test_audit_list_is_filtered_by_new_role(carol, promotions, client_for):
    response = client_for(carol).get(reverse("admin:accounts_rolechange_changelist"), {"new_role__exact": "agent"})

    assert [change.user.email for change in response.context["cl"].result_list] == ["alice@example.com"]


def test_audit_list_query_count_does_not_grow_with_rows(carol, promotions, client_for, django_assert_max_num_queries):
    client = client_for(carol)
    client.get(reverse("admin:accounts_rolechange_changelist"))  # session and user loaded once

    with django_assert_max_num_queries(8):
        client.get(reverse("admin:accounts_rolechange_changelist"))


def test_nobody_adds_role_changes_by_hand(carol, client_for):
    assert client_for(carol).get(reverse("admin:accounts_rolechange_add")).status_code == 403


def test_nobody_edits_a_recorded_role_change(carol, alice, promotions, client_for):
    change = RoleChange.objects.get(user=alice)
    url = reverse("admin:accounts_rolechange_change", args=[change.pk])

    response = client_for(carol).post(url, {"user": alice.pk, "old_role": "admin", "new_role": "agent"})

    assert response.status_code == 403
    change.refresh_from_db()
    assert change.old_role == Role.REQUESTER


def test_nobody_deletes_a_recorded_role_change(carol, alice, promotions, client_for):
    change = RoleChange.objects.get(user=alice)
    url = reverse("admin:accounts_rolechange_delete", args=[change.pk])

    response = client_for(carol).post(url, {"post": "yes"})

    assert response.status_code == 403
    assert RoleChange.objects.filter(pk=change.pk).exists()


def test_agents_do_not_see_the_audit_list(bob, promotions, client_for):
    assert client_for(bob).get(reverse("admin:accounts_rolechange_changelist")).status_code == 403


def test_user_page_shows_their_role_changes(carol, alice, promotions, client_for):
    response = client_for(carol).get(reverse("admin:accounts_user_change", args=[alice.pk]))

    (history,) = response.context["inline_admin_formsets"]
    assert history.opts.verbose_name_plural == "Role changes"
    assert [(form.instance.new_role, form.instance.actor) for form in history.formset] == [(Role.AGENT, carol)]
    assert 'id="role_changes-group"' in response.content.decode()
    assert 'name="role_changes-0-new_role"' not in response.content.decode()  # shown, not editable


def test_a_user_without_role_changes_has_an_empty_history(carol, bob, client_for):
    response = client_for(carol).get(reverse("admin:accounts_user_change", args=[bob.pk]))

    (history,) = response.context["inline_admin_formsets"]
    assert list(history.formset) == []
