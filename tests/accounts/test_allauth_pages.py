"""Every allauth page renders inside our own layout, with nothing the strict CSP would block."""

from __future__ import annotations

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialLogin
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import SocialAppSecret, User
from tests.conftest import PASSWORD
from tests.support.html import blocked_by_strict_csp, elements, shown_text

ANONYMOUS_PAGES = [
    ("account_login", {}, 200),
    ("account_signup", {}, 200),
    ("account_reset_password", {}, 200),
    ("account_reset_password_done", {}, 200),
    ("account_reset_password_from_key", {"uidb36": "1", "key": "not-a-key"}, 200),
    ("socialaccount_login_cancelled", {}, 200),
    ("socialaccount_login_error", {}, 401),  # allauth answers a failed provider sign-in with 401
    ("github_login", {}, 200),
]

ACCOUNT_PAGES = [
    "account_email",
    "account_change_password",
    "socialaccount_connections",
    "mfa_index",
    "usersessions_list",
]


@pytest.fixture
def providers(db: None) -> list[SocialApp]:
    apps = []
    for provider in ["github", "gitlab"]:
        app = SocialApp.objects.create(provider=provider, name=provider, client_id=f"{provider}-client")
        SocialAppSecret.objects.create(app=app, secret="not-a-real-secret")
        apps.append(app)
    return apps


def sign_in(user: User, *, totp_secret: str = "") -> Client:
    """Signs in through the login form, and through the second-factor step too when given the TOTP secret."""
    browser = Client()
    response = browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response
    if totp_secret:
        assert response.url == reverse("mfa_authenticate")
        code = format_hotp_value(hotp_value(totp_secret, int(time.time()) // 30))
        response = browser.post(reverse("mfa_authenticate"), {"code": code})
        assert response.status_code == 302, response
    return browser


def reauthenticated(user: User, *, totp_secret: str = "") -> Client:
    """allauth asks for the password again before two-factor settings change."""
    browser = sign_in(user, totp_secret=totp_secret)
    assert browser.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302
    return browser


@pytest.fixture
def totp_secret(alice: User, settings: object) -> str:
    """Alice has an authenticator app (and recovery codes); codes from the neighbouring 30 s steps count too."""
    settings.MFA_TOTP_TOLERANCE = 1
    secret = generate_totp_secret()
    TOTP.activate(alice, secret)
    RecoveryCodes.activate(alice)
    return secret


def assert_in_our_layout(response: HttpResponse, status: int = 200) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert ("link", {"rel": "stylesheet", "href": "/static/css/helpdesk.css"}) in elements(html)
    assert 'class="site-header"' in html and '<main id="main"' in html
    assert blocked_by_strict_csp(html) == []
    return html


def account_nav_current(html: str) -> list[str]:
    """The account navigation's links marked as the current page."""
    start = html.index('aria-label="Account settings"')
    nav = html[start : html.index("</nav>", start)]
    return [attrs["href"] for tag, attrs in elements(nav) if tag == "a" and attrs.get("aria-current") == "page"]


@pytest.mark.parametrize(("url_name", "kwargs", "status"), ANONYMOUS_PAGES)
def test_sign_in_pages_render_in_our_layout(providers, url_name, kwargs, status):
    html = assert_in_our_layout(Client().get(reverse(url_name, kwargs=kwargs)), status)

    assert "card-narrow" in html
    assert 'aria-label="Account settings"' not in html


@pytest.mark.parametrize("url_name", ACCOUNT_PAGES)
def test_account_pages_render_in_our_layout_with_the_account_navigation(alice, providers, url_name):
    html = assert_in_our_layout(sign_in(alice).get(reverse(url_name)))

    assert account_nav_current(html) == [reverse(url_name)]


def test_the_confirmation_code_page_renders_in_our_layout_as_a_plain_form(db, mailoutbox):
    """The page a sign-up lands on asks for the mailed code: a form posted without JavaScript."""
    browser = Client()
    browser.post(reverse("account_signup"), {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD})

    html = assert_in_our_layout(browser.get(reverse("account_email_verification_sent")))

    assert "card-narrow" in html
    url = reverse("account_email_verification_sent")
    forms = [attrs for tag, attrs in elements(html) if tag == "form"]
    assert any(form.get("method") == "post" and form.get("action") == url for form in forms)
    assert any(tag == "input" and attrs.get("name") == "code" for tag, attrs in elements(html))


def test_sign_out_confirmation_renders_in_our_layout(alice):
    html = assert_in_our_layout(sign_in(alice).get(reverse("account_logout")))

    assert [attrs["action"] for tag, attrs in elements(html) if tag == "form"].count(reverse("account_logout")) == 2


def test_the_main_navigation_links_to_the_account_pages(alice):
    html = assert_in_our_layout(sign_in(alice).get(reverse("ticket_list")))

    assert ("a", {"href": reverse("account_email")}) in elements(html)


def test_provider_buttons_on_the_login_page_are_post_forms(providers):
    html = assert_in_our_layout(Client().get(reverse("account_login")))

    forms = [attrs for tag, attrs in elements(html) if tag == "form"]
    for provider in ["github", "gitlab"]:
        [form] = [attrs for attrs in forms if attrs["action"].startswith(reverse(f"{provider}_login"))]
        assert form["method"] == "post"
    assert "Continue with GitHub" in shown_text(html) and "Continue with GitLab" in shown_text(html)


def test_provider_buttons_on_the_connections_page_say_connect(alice, providers):
    html = assert_in_our_layout(sign_in(alice).get(reverse("socialaccount_connections")))

    assert "Connect GitHub" in shown_text(html)
    assert "process=connect" in html


def test_no_provider_buttons_without_configured_providers(db):
    html = assert_in_our_layout(Client().get(reverse("account_login")))

    assert "provider-list" not in html


def test_reauthentication_page_renders_in_our_layout(alice):
    assert_in_our_layout(sign_in(alice).get(reverse("account_reauthenticate")))


def test_authenticator_app_activation_shows_the_qr_code_in_our_layout(alice):
    html = assert_in_our_layout(reauthenticated(alice).get(reverse("mfa_activate_totp")))

    [qr_code] = [attrs for tag, attrs in elements(html) if tag == "img"]
    assert qr_code["src"].startswith("data:image/svg+xml")
    assert account_nav_current(html) == []  # a page below Two-factor, which is marked "true", not "page"


@pytest.mark.parametrize("url_name", ["mfa_deactivate_totp", "mfa_view_recovery_codes", "mfa_generate_recovery_codes"])
def test_two_factor_pages_render_in_our_layout(alice, totp_secret, url_name):
    browser = reauthenticated(alice, totp_secret=totp_secret)

    assert_in_our_layout(browser.get(reverse(url_name)))


def test_second_factor_step_at_sign_in_renders_in_our_layout(alice, totp_secret):
    browser = Client()

    response = browser.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("mfa_authenticate")
    html = assert_in_our_layout(response)
    assert 'name="code"' in html


def test_social_sign_up_page_renders_in_our_layout(alice, providers):
    # The page a provider sign-in lands on when its address belongs to an account already.
    browser = Client()
    pending = SocialLogin(
        provider=get_social_adapter().get_provider(None, "github"),
        user=User(email="alice@example.com"),
        account=SocialAccount(provider="github", uid="4242", extra_data={}),
        email_addresses=[EmailAddress(email="alice@example.com", verified=False, primary=True)],
    )
    session = browser.session
    session["socialaccount_sociallogin"] = pending.serialize()
    session.save()

    html = assert_in_our_layout(browser.get(reverse("socialaccount_signup")))

    assert 'name="email"' in html
    assert "already" not in shown_text(html).lower()


def test_email_change_page_hides_its_pending_address_form_without_an_inline_style(alice):
    browser = sign_in(alice)
    # A change asked for before confirmation went by code waits as a row (one asked for now waits in the session).
    EmailAddress.objects.create(user=alice, email="alice.new@example.com", verified=False, primary=False)

    html = assert_in_our_layout(browser.get(reverse("account_email")))

    [pending_form] = [attrs for tag, attrs in elements(html) if tag == "form" and attrs.get("id") == "pending-email"]
    assert "hidden" in pending_form
