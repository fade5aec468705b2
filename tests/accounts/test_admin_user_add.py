"""Creating users in the admin: email, name, role and a password, saved through user_create."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.urls import reverse

from accounts.models import Role, User

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "plum-orchard-lantern-42"


def add_user(client, **fields):
    data = {"email": "Dana@Example.COM", "name": "Dana", "role": Role.AGENT, "password1": GOOD_PASSWORD}
    data |= {"password2": data["password1"], **fields}
    return client.post(reverse("admin:accounts_user_add"), data)


def test_admin_creates_a_user_with_lowercased_email_and_role(client_for, carol):
    response = add_user(client_for(carol))

    assert response.status_code == 302
    dana = User.objects.get(email="dana@example.com")
    assert (dana.name, dana.role, dana.is_staff) == ("Dana", Role.AGENT, True)
    assert authenticate(username="DANA@example.com", password=GOOD_PASSWORD) == dana


def test_admin_user_add_refuses_an_email_differing_only_in_case(client_for, carol, alice):
    response = add_user(client_for(carol), email="ALICE@example.com")

    assert response.status_code == 200
    assert "A user with this email address already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


def test_admin_user_add_refuses_mismatched_passwords(client_for, carol):
    response = add_user(client_for(carol), password2="something-else-entirely")

    assert response.status_code == 200
    assert not User.objects.filter(email="dana@example.com").exists()


def test_user_add_form_asks_no_staff_superuser_or_group_fields(client_for, carol):
    form = client_for(carol).get(reverse("admin:accounts_user_add")).context["adminform"].form

    assert set(form.fields) == {"email", "name", "role", "time_zone", "password1", "password2"}


def test_admin_creates_a_user_with_a_time_zone(client_for, carol):
    response = add_user(client_for(carol), time_zone="Pacific/Pago_Pago")

    assert response.status_code == 302
    assert User.objects.get(email="dana@example.com").time_zone == "Pacific/Pago_Pago"


def test_a_user_added_without_a_time_zone_has_the_sites(client_for, carol):
    add_user(client_for(carol))

    assert User.objects.get(email="dana@example.com").time_zone == ""


def test_admin_user_add_refuses_a_time_zone_that_does_not_exist(client_for, carol):
    response = add_user(client_for(carol), time_zone="Mars/Olympus_Mons")

    assert response.status_code == 200
    assert not User.objects.filter(email="dana@example.com").exists()
