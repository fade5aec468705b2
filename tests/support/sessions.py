"""Browsers signed in the way people sign in, so allauth records their sessions (the Sessions page lists them)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD


def sign_in(user: User, user_agent: str = "") -> Client:
    """A browser that signed in through the login form, so allauth records its session (force_login does not)."""
    browser = Client(HTTP_USER_AGENT=user_agent)
    response = browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response
    return browser


def is_signed_in(browser: Client) -> bool:
    return browser.get(reverse("ticket_list")).status_code == 200
