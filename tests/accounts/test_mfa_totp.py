"""Two-factor authentication for everyone: activating TOTP, then signing in with a code or a recovery code."""

from __future__ import annotations

import pytest
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.support.mfa import code_for, confirm_password


@pytest.fixture(autouse=True)
def _one_step_of_clock_drift(settings: object) -> None:
    # A code computed at the very end of a 30-second window is still accepted a moment later, as for a real user.
    settings.MFA_TOTP_TOLERANCE = 1


def stored_secret(user) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return get_adapter().decrypt(authenticator.data["secret"])


def wrong_code(secret: str) -> str:
    accepted = {code_for(secret, steps) for steps in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def log_in(client: Client, user, **extra: str):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD, **extra})


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.fixture
def alice_with_totp(alice):
    """Alice with TOTP and recovery codes set up, as after the activation pages; returns her secret."""
    secret = generate_totp_secret()
    TOTP.activate(alice, secret)
    RecoveryCodes.activate(alice)
    return secret


# Committed for real: allauth sends the "two-factor activated" mail after commit, while the request is running.
@pytest.mark.django_db(transaction=True)
def test_requester_activates_totp_with_a_code_from_their_app(alice, mailoutbox):
    client = Client()
    log_in(client, alice)
    confirm_password(client)

    page = client.get(reverse("mfa_activate_totp"))
    secret = client.session["mfa.totp.secret"]  # what the QR code on the page encodes
    response = client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})

    assert page.status_code == 200
    assert response.status_code == 302
    assert response.url == reverse("mfa_view_recovery_codes")
    assert stored_secret(alice) == secret
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert [mail.to for mail in mailoutbox] == [[alice.email]]


def test_totp_secret_is_not_stored_in_the_clear(alice, alice_with_totp):
    stored = Authenticator.objects.get(user=alice, type=Authenticator.Type.TOTP).data["secret"]

    assert alice_with_totp not in stored


def test_activation_with_a_wrong_code_is_refused(alice):
    client = Client()
    log_in(client, alice)
    confirm_password(client)
    client.get(reverse("mfa_activate_totp"))

    response = client.post(reverse("mfa_activate_totp"), {"code": wrong_code(client.session["mfa.totp.secret"])})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not Authenticator.objects.filter(user=alice).exists()


def test_activation_asks_for_the_password_again_first(alice):
    client = Client()
    log_in(client, alice)

    response = client.get(reverse("mfa_activate_totp"))
    wrong_password = client.post(reverse("account_reauthenticate"), {"password": "not-my-password"})
    right_password = client.post(
        reverse("account_reauthenticate"), {"password": PASSWORD, "next": reverse("mfa_activate_totp")}
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert wrong_password.status_code == 200
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    assert right_password.url == reverse("mfa_activate_totp")


def test_with_totp_the_password_alone_does_not_sign_in(alice, alice_with_totp):
    client = Client()

    response = log_in(client, alice)

    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert signed_in_user_id(client) is None
    assert client.get(reverse("ticket_list")).status_code == 302  # still sent to the login page


def test_wrong_code_is_refused_at_sign_in(alice, alice_with_totp):
    client = Client()
    log_in(client, alice)

    response = client.post(reverse("mfa_authenticate"), {"code": wrong_code(alice_with_totp)})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert signed_in_user_id(client) is None


def test_right_code_signs_in(alice, alice_with_totp):
    client = Client()
    log_in(client, alice)

    response = client.post(reverse("mfa_authenticate"), {"code": code_for(alice_with_totp)})

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(alice.pk)
    assert client.get(reverse("ticket_list")).status_code == 200


def test_a_code_cannot_be_used_twice(alice, alice_with_totp):
    code = code_for(alice_with_totp)
    first, second = Client(), Client()
    log_in(first, alice)
    first.post(reverse("mfa_authenticate"), {"code": code})
    log_in(second, alice)

    response = second.post(reverse("mfa_authenticate"), {"code": code})

    assert response.status_code == 200
    assert signed_in_user_id(second) is None


def test_a_recovery_code_signs_in_once(alice, alice_with_totp):
    recovery_code = RecoveryCodes(Authenticator.objects.get(user=alice, type="recovery_codes")).get_unused_codes()[0]
    client = Client()
    log_in(client, alice)
    first = client.post(reverse("mfa_authenticate"), {"code": recovery_code})
    client.post(reverse("account_logout"))
    log_in(client, alice)

    second = client.post(reverse("mfa_authenticate"), {"code": recovery_code})

    assert first.status_code == 302
    assert second.status_code == 200
    assert "Incorrect code." in second.content.decode()
    assert signed_in_user_id(client) is None


def test_admin_sign_in_at_the_admin_asks_for_the_code_too(carol):
    secret = generate_totp_secret()
    TOTP.activate(carol, secret)
    client = Client()

    entry = client.get(reverse("admin:index"))
    login = log_in(client, carol, next=reverse("admin:index"))
    before_code = client.get(reverse("admin:index"))
    after_code = client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})

    assert entry.status_code == 302
    assert login.url == reverse("mfa_authenticate")
    assert before_code.status_code == 302  # not signed in without the code
    assert after_code.url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
