"""An account whose email address is not proven gets nothing from any door: no token, no use of a token it has, no
session, no admin. Each refusal is `403 email_unverified` (or, on a page, a sign-in page saying so) and says how to
confirm the address."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken, Role, User
from accounts.services import api_token_issue, user_create
from tests.conftest import PASSWORD
from tests.support.api import assert_error_body
from tests.support.confirmation_mail import confirm_with_code

NEWCOMER = "newcomer@example.com"


def sign_up(client: Client, email: str = NEWCOMER):
    return client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})


@pytest.fixture
def unproven(db) -> User:
    """Signed up, never confirmed (as if before the rule existed, with a token and a session it got back then)."""
    return user_create(email="unproven@example.com", password=PASSWORD, email_verified=False)


def test_a_fresh_sign_up_gets_no_api_token_and_is_told_how_to_confirm(db, mailoutbox):
    assert sign_up(Client()).url == reverse("account_email_verification_sent")

    response = Client().post(
        "/api/v1/auth/token", {"email": NEWCOMER, "password": PASSWORD}, content_type="application/json"
    )

    error = assert_error_body(response, 403, "email_unverified")
    assert "code from the confirmation mail" in error["message"] and reverse("account_login") in error["message"]
    assert not ApiToken.objects.exists()


def test_a_wrong_password_still_learns_nothing_about_the_address(db, mailoutbox):
    sign_up(Client())

    response = Client().post(
        "/api/v1/auth/token", {"email": NEWCOMER, "password": "wrong"}, content_type="application/json"
    )

    assert_error_body(response, 401, "authentication_failed")


def test_a_token_the_unproven_account_already_has_is_refused(unproven, client):
    _, secret = api_token_issue(user=unproven, name="from before")

    for method, url in (("get", "/api/v1/auth/me"), ("get", "/api/v1/tickets/"), ("post", "/api/v1/tickets/")):
        response = getattr(client, method)(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert_error_body(response, 403, "email_unverified")


def test_a_session_of_the_unproven_account_is_ended_on_pages(unproven):
    client = Client()
    client.force_login(unproven)

    response = client.get(reverse("ticket_list"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert "Confirm your email address first" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_session_of_the_unproven_account_gets_the_error_body_on_the_api(unproven):
    client = Client()
    client.force_login(unproven)

    assert_error_body(client.get("/api/v1/auth/me"), 403, "email_unverified")
    assert "_auth_user_id" not in client.session


def test_the_admin_login_does_not_sign_in_an_unproven_agent(db, mailoutbox):
    user_create(email="agent@example.com", password=PASSWORD, role=Role.AGENT, email_verified=False)
    client = Client()

    client.post(reverse("admin:login"), {"login": "agent@example.com", "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index")).status_code == 302


def test_an_admin_session_of_an_unproven_agent_is_ended(db):
    agent = user_create(email="agent@example.com", password=PASSWORD, role=Role.AGENT, email_verified=False)
    client = Client()
    client.force_login(agent)

    response = client.get(reverse("admin:tickets_ticket_changelist"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_once_confirmed_the_same_password_issues_a_working_token(db, mailoutbox):
    client = Client()
    sign_up(client)
    confirm_with_code(client, mailoutbox[0])

    response = Client().post(
        "/api/v1/auth/token", {"email": NEWCOMER, "password": PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 201
    me = Client().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    assert me.json()["email"] == NEWCOMER
