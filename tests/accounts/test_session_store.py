"""accounts/session_store.py and RoleBackend.get_user: the per-request reads compiled once still answer as Django's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.backends import RoleBackend
from accounts.session_store import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_reads_back():
    session = SessionStore()
    session["colour"] = "blue"
    session.create()

    again = SessionStore(session.session_key)

    assert again["colour"] == "blue"
    assert again.session_key == session.session_key


def test_an_expired_session_reads_as_empty_and_forgets_its_key():
    session = SessionStore()
    session["colour"] = "blue"
    session.create()
    Session.objects.filter(session_key=session.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))

    again = SessionStore(session.session_key)

    assert "colour" not in again
    assert again.session_key is None


def test_an_unknown_session_key_reads_as_empty():
    session = SessionStore("x" * 32)

    assert dict(session.items()) == {}
    assert session.session_key is None


def test_a_signed_in_agent_reaches_the_queue_and_a_signed_out_one_does_not(bob):
    client = Client()
    client.force_login(bob, backend="accounts.backends.RoleBackend")

    assert client.get(reverse("staff_queue")).status_code == 200

    client.post(reverse("account_logout"))
    assert client.get(reverse("staff_queue")).status_code == 302


def test_the_session_user_is_loaded_with_whether_the_address_is_proven(bob):
    user = RoleBackend().get_user(str(bob.pk))

    assert user == bob and user.email == bob.email
    assert user.address_proven is True


@pytest.mark.parametrize("user_id", ["not a number", "", "99999999"])
def test_a_session_naming_no_user_signs_nobody_in(bob, user_id):
    assert RoleBackend().get_user(user_id) is None
