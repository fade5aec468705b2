"""The site's icon: a static file, linked from every page's head and answered at /favicon.ico, where browsers ask."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.http import HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

from tests.support.html import blocked_by_strict_csp, elements

ICON = "/static/img/favicon.svg"


def icon_links(page: str) -> list[str]:
    return [attrs["href"] or "" for tag, attrs in elements(page) if tag == "link" and attrs.get("rel") == "icon"]


def test_favicon_ico_is_a_permanent_redirect_to_the_icon(client):
    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (301, ICON)


def test_a_head_request_for_the_favicon_gets_the_redirect_too(client):
    assert client.head("/favicon.ico").status_code == 301


def test_the_icon_is_served_from_static_by_whitenoise(settings, rf):
    # The project's middleware indexed the files when the test run started; a fresh one finds them in static/.
    settings.WHITENOISE_USE_FINDERS = True
    middleware = WhiteNoiseMiddleware(lambda request: HttpResponse(status=404))

    response = middleware(rf.get(ICON))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(response.streaming_content)


def test_pages_and_the_admin_link_the_icon_without_loosening_the_csp(client, client_for, carol):
    sign_in_page = client.get("/accounts/login/").content.decode()
    admin_page = client_for(carol).get("/admin/").content.decode()

    assert icon_links(sign_in_page) == [ICON]
    assert icon_links(admin_page) == [ICON]
    assert blocked_by_strict_csp(sign_in_page) == [] and blocked_by_strict_csp(admin_page) == []


def test_staff_still_to_set_up_two_factor_get_the_icon_and_no_stray_warning(settings, bob, client_for):
    """The browser asks for the icon beside the setup page: answered with the page's redirect, the warning would
    be queued again and shown once more on the next page."""
    settings.MFA_REQUIRED_FOR_STAFF = True
    client = client_for(bob)

    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (301, ICON)
    assert list(get_messages(response.wsgi_request)) == []
