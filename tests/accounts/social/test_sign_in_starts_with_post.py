"""Only a POST from our own page (CSRF-protected) sends the browser to the provider; a link or GET does not."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.social.dance import return_to_site, signed_in_user, visit_provider
from tests.support.html import elements


def _forms(html: str) -> list[tuple[dict[str, str | None], dict[str, str | None]]]:
    """Each form's attributes with the name -> value of the inputs that follow it (before the next form)."""
    forms: list[tuple[dict[str, str | None], dict[str, str | None]]] = []
    for tag, attrs in elements(html):
        if tag == "form":
            forms.append((attrs, {}))
        elif tag == "input" and forms and attrs.get("name"):
            forms[-1][1][attrs["name"]] = attrs.get("value")
    return forms


@pytest.mark.parametrize("provider_id", ["github", "gitlab"])
def test_a_get_to_the_provider_login_url_only_asks_to_continue_with_a_post(github_app, gitlab_app, provider_id):
    response = Client().get(reverse(f"{provider_id}_login"), {"process": "login"})

    assert response.status_code == 200  # not a redirect to the provider
    methods = [(attrs.get("method") or "").lower() for attrs, _ in _forms(response.content.decode())]
    assert "post" in methods


def test_a_post_without_our_csrf_token_does_not_start_a_sign_in(github_app, fake_github):
    response = Client(enforce_csrf_checks=True).post(reverse("github_login"))

    assert response.status_code == 403


@pytest.mark.parametrize("provider_id", ["github", "gitlab"])
def test_the_provider_button_on_the_login_page_is_a_post_form_that_starts_the_sign_in(
    github_app, gitlab_app, fake_github, provider_id
):
    browser = Client(enforce_csrf_checks=True)
    shown = browser.get(reverse("account_login"))
    login_url = reverse(f"{provider_id}_login")
    [(form, fields)] = [
        (attrs, fields)
        for attrs, fields in _forms(shown.content.decode())
        if urlsplit(attrs.get("action") or "").path == login_url
    ]
    assert (form.get("method") or "").lower() == "post"

    response = browser.post(form["action"], fields)

    assert response.status_code == 302
    assert response.url.startswith(fake_github.base_url)
    # Chromium holds the redirect after a form post to the page's CSP form-action: the provider must be allowed.
    assert _origin(response.url) in _form_action(shown)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _form_action(response) -> list[str]:
    """The sources of the page's CSP form-action."""
    for directive in response["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        if name == "form-action":
            return sources
    return []


@pytest.mark.parametrize("page", ["account_signup", "socialaccount_connections", "github_login"])
def test_every_page_with_a_provider_button_lets_its_post_go_on_to_the_provider(
    github_app, fake_github, client_for, alice, page
):
    browser = client_for(alice) if page == "socialaccount_connections" else Client()

    assert _origin(fake_github.base_url) in _form_action(browser.get(reverse(page)))


def test_pages_without_a_provider_button_post_to_this_site_alone(github_app, client_for, alice):
    assert _form_action(client_for(alice).get(reverse("ticket_list"))) == ["'self'"]


def test_signing_in_from_the_login_page_button_completes(github_app, fake_github):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(reverse("account_login")).content.decode()
    [(form, fields)] = [
        (attrs, fields)
        for attrs, fields in _forms(page)
        if urlsplit(attrs.get("action") or "").path == reverse("github_login")
    ]

    started = browser.post(form["action"], fields)
    return_to_site(browser, visit_provider(started.url))

    assert signed_in_user(browser) is not None


def test_no_provider_is_offered_when_none_is_configured(db):
    page = Client().get(reverse("account_login")).content.decode()

    actions = [urlsplit(attrs.get("action") or "").path for attrs, _ in _forms(page)]
    assert reverse("github_login") not in actions
    assert reverse("gitlab_login") not in actions
