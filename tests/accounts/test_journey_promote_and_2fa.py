"""The whole way: an admin promotes a requester to agent, who must then set up two-factor before the queue."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse

from accounts.models import Role, RoleChange
from tests.conftest import PASSWORD
from tests.support.mfa import code_for


@pytest.fixture(autouse=True)
def _staff_must_use_two_factor(settings: object) -> None:
    settings.MFA_REQUIRED_FOR_STAFF = True
    settings.MFA_TOTP_TOLERANCE = 1  # a code computed at the end of a window is still accepted a moment later


def test_admin_promotes_mallory_who_sets_up_two_factor_and_reaches_the_queue(carol, mallory, client_for):
    # Carol (already using two-factor, as staff must) promotes Mallory on the People page.
    TOTP.activate(carol, generate_totp_secret())
    promoted = client_for(carol).post(reverse("people_role_change", args=[mallory.pk]), {"role": Role.AGENT})
    assert promoted.status_code == 302
    change = RoleChange.objects.get(user=mallory)
    assert (change.old_role, change.new_role, change.actor) == (Role.REQUESTER, Role.AGENT, carol)

    # Mallory signs in as before; her first page sends her to set up an authenticator, not to the queue.
    mallory_browser = Client()
    signed_in = mallory_browser.post(reverse("account_login"), {"login": mallory.email, "password": PASSWORD})
    assert mallory_browser.get(signed_in.url).url == reverse("mfa_activate_totp")
    assert mallory_browser.get(reverse("staff_queue")).url == reverse("mfa_activate_totp")

    # She confirms her password, scans the code and types what her app shows.
    reauthenticated = mallory_browser.post(
        reverse("account_reauthenticate"), {"password": PASSWORD, "next": reverse("mfa_activate_totp")}
    )
    assert reauthenticated.url == reverse("mfa_activate_totp")
    assert mallory_browser.get(reverse("mfa_activate_totp")).status_code == 200
    secret = mallory_browser.session["mfa.totp.secret"]
    activated = mallory_browser.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})
    assert activated.url == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=mallory, type=Authenticator.Type.TOTP).exists()

    # Now the queue opens.
    queue = mallory_browser.get(reverse("staff_queue"))
    assert queue.status_code == 200
    assert '<h1 id="queue-title">' in queue.content.decode()
