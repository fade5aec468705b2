"""Every admin list with a search box answers a search: a search field naming a column the model lacks is a 500 on
the first search, not at startup (allauth's session admin searched `user__username`; our users have none)."""

from __future__ import annotations

import pytest
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

SEARCHABLE = sorted(
    f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
    for model, model_admin in admin.site._registry.items()
    if model_admin.search_fields
)


@pytest.mark.parametrize("changelist", SEARCHABLE)
def test_each_admin_list_with_a_search_box_answers_a_search(client_for, carol, changelist):
    response = client_for(carol).get(reverse(changelist), {"q": "example 1"})
    assert response.status_code == 200


def test_sessions_are_found_by_their_users_address(client_for, carol, alice, bob):
    for user, key in ((alice, "a" * 32), (bob, "b" * 32)):
        UserSession.objects.create(user=user, ip="192.0.2.1", session_key=key, user_agent="Firefox")
    url = reverse("admin:usersessions_usersession_changelist")

    page = client_for(carol).get(url, {"q": "alice@"}).content.decode()

    assert "Alice Requester" in page and "Bob Agent" not in page
