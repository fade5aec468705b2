"""MFA_REQUIRED_FOR_STAFF: agents and admins set up TOTP before anything else, and cannot turn it off again."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from accounts.middleware import SETUP_MESSAGE
from accounts.models import Role
from accounts.services import user_update
from tests.support.mfa import code_for, confirm_password, with_totp


@pytest.fixture(autouse=True)
def _staff_must_use_two_factor(settings: object) -> None:
    settings.MFA_REQUIRED_FOR_STAFF = True
    settings.MFA_TOTP_TOLERANCE = 1  # a code computed at the end of a window is still accepted a moment later


def test_agent_without_totp_is_sent_to_set_it_up(bob, client_for):
    response = client_for(bob).get(reverse("staff_queue"))

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


def test_the_setup_page_says_why(bob, client_for):
    response = client_for(bob).get(reverse("staff_queue"), follow=True)

    assert SETUP_MESSAGE in response.content.decode()


def test_admin_without_totp_cannot_use_the_django_admin_either(carol, client_for):
    response = client_for(carol).get(reverse("admin:index"))

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


def test_agent_activates_totp_and_then_reaches_the_queue(bob, client_for):
    client = client_for(bob)
    confirm_password(client)
    setup_page = client.get(reverse("mfa_activate_totp"))
    secret = client.session["mfa.totp.secret"]

    activated = client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})
    recovery_codes = client.get(activated.url)

    assert setup_page.status_code == 200
    assert activated.status_code == 302
    assert recovery_codes.status_code == 200  # shown right after activation, while the requirement is just met
    assert Authenticator.objects.filter(user=bob, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("staff_queue")).status_code == 200


def test_session_api_call_without_totp_is_refused(bob, client_for):
    response = client_for(bob).get("/api/v1/users/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"


def test_a_requesters_token_gives_no_staff_access_after_promotion_until_totp_is_set_up(alice, carol, api_client_for):
    client = api_client_for(alice)  # made while she was a requester, who may use the API without a second factor
    user_update(user=alice, actor=carol, role=Role.AGENT)

    refused = client.get("/api/v1/users/")
    with_totp(alice)
    allowed = client.get("/api/v1/users/")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "mfa_required"
    assert allowed.status_code == 200


def test_bearer_token_of_an_agent_with_totp_is_not_refused(bob, api_client_for):
    with_totp(bob)

    assert api_client_for(bob).get("/api/v1/users/").status_code == 200


def test_a_requesters_token_is_not_held_to_the_staff_rule(alice, api_client_for):
    assert api_client_for(alice).get("/api/v1/auth/me").status_code == 200


def test_agent_can_still_sign_out(bob, client_for):
    client = client_for(bob)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert "_auth_user_id" not in client.session


def test_health_probes_answer_for_an_agent_without_totp(bob, client_for):
    assert client_for(bob).get(reverse("healthz")).status_code == 200


def test_requester_is_never_forced(alice, client_for):
    assert client_for(alice).get(reverse("ticket_list")).status_code == 200


def test_agent_with_totp_is_not_stopped(bob, client_for):
    with_totp(bob)

    assert client_for(bob).get(reverse("staff_queue")).status_code == 200


def test_without_the_setting_staff_are_not_forced(bob, client_for, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False

    assert client_for(bob).get(reverse("staff_queue")).status_code == 200
    assert client_for(bob).get("/api/v1/users/").status_code == 200


def test_agent_cannot_deactivate_totp_while_it_is_required(bob, client_for):
    with_totp(bob)
    client = client_for(bob)
    confirm_password(client)

    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 200
    assert "You cannot deactivate two-factor authentication." in response.content.decode()
    assert Authenticator.objects.filter(user=bob, type=Authenticator.Type.TOTP).exists()


def test_agent_may_deactivate_totp_when_it_is_not_required(bob, client_for, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False
    with_totp(bob)
    client = client_for(bob)
    confirm_password(client)

    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=bob).exists()


def test_requester_may_deactivate_totp_while_staff_must_keep_theirs(alice, client_for):
    with_totp(alice)
    client = client_for(alice)
    confirm_password(client)

    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=alice).exists()
