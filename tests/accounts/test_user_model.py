"""The user model: email login, case-insensitive, roles mapped onto Django's staff flags."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import IntegrityError

from accounts.backends import AGENT_ADMIN_PERMISSIONS
from accounts.models import Role, User
from accounts.services import EmailTaken, user_create
from tests.conftest import PASSWORD


def test_email_login_is_case_insensitive(alice):
    assert authenticate(username="ALICE@Example.COM", password=PASSWORD) == alice


def test_emails_are_unique_ignoring_case(alice):
    with pytest.raises(EmailTaken):
        user_create(email="Alice@example.com")


def test_database_refuses_a_case_variant_email(alice):
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="ALICE@example.com")])


def test_roles_map_onto_staff_and_superuser(alice, bob, carol):
    assert (alice.is_staff, alice.is_superuser) == (False, False)
    assert (bob.is_staff, bob.is_superuser) == (True, False)
    assert (carol.is_staff, carol.is_superuser) == (True, True)


def test_agents_get_ticket_permissions_but_not_configuration(bob, alice):
    assert bob.has_perm("tickets.change_ticket")
    assert bob.get_all_permissions() >= AGENT_ADMIN_PERMISSIONS
    assert not bob.has_perm("accounts.change_user")
    assert not bob.has_perm("tickets.add_category")
    assert not alice.has_perm("tickets.view_ticket")


def test_createsuperuser_makes_an_admin(db):
    call_command("createsuperuser", email="Root@Example.com", interactive=False, verbosity=0)
    user = User.objects.get(email="root@example.com")
    assert user.role == Role.ADMIN and user.is_superuser
