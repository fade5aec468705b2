"""The Sessions page: where you are signed in, and ending one of those sessions or all the others."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.support.html import elements, shown_text
from tests.support.sessions import is_signed_in, sign_in

FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0"
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
CHROME_ON_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
)


def session_of(browser: Client) -> UserSession:
    return UserSession.objects.get(session_key=browser.session.session_key)


def end_buttons(html: str) -> list[str]:
    """The action of every "End session" form on the page."""
    return [
        attrs["action"]
        for tag, attrs in elements(html)
        if tag == "form" and "/sessions/" in (attrs.get("action") or "") and attrs["action"].endswith("/end")
    ]


def test_the_page_lists_each_device_by_browser_and_system_with_its_address(alice):
    laptop = sign_in(alice, FIREFOX_ON_WINDOWS)
    sign_in(alice, SAFARI_ON_IPHONE)

    response = laptop.get(reverse("usersessions_list"))

    text = shown_text(response.content.decode())
    assert response.status_code == 200
    assert "Firefox on Windows" in text
    assert "Mobile Safari on iOS" in text
    assert "127.0.0.1" in text
    assert text.count("This session") == 1


def test_only_the_other_sessions_have_an_end_button(alice):
    laptop = sign_in(alice, FIREFOX_ON_WINDOWS)
    phone = sign_in(alice, SAFARI_ON_IPHONE)

    page = laptop.get(reverse("usersessions_list")).content.decode()

    assert end_buttons(page) == [reverse("usersession_end", args=[session_of(phone).pk])]
    assert "End all other sessions" in page


def test_alone_there_is_nothing_else_to_end(alice):
    laptop = sign_in(alice, FIREFOX_ON_WINDOWS)

    page = laptop.get(reverse("usersessions_list")).content.decode()

    assert end_buttons(page) == []
    assert "End all other sessions" not in page
    assert "not signed in anywhere else" in page


def test_ending_one_session_signs_that_browser_out_and_no_other(alice):
    laptop = sign_in(alice, FIREFOX_ON_WINDOWS)
    phone = sign_in(alice, SAFARI_ON_IPHONE)
    desktop = sign_in(alice, CHROME_ON_LINUX)
    ended = session_of(phone)

    response = laptop.post(reverse("usersession_end", args=[ended.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("usersessions_list")
    assert "Signed out Mobile Safari on iOS" in response.content.decode()
    assert not UserSession.objects.filter(pk=ended.pk).exists()
    assert not is_signed_in(phone)
    assert is_signed_in(laptop) and is_signed_in(desktop)


def test_ending_all_other_sessions_keeps_only_this_one(alice):
    laptop = sign_in(alice, FIREFOX_ON_WINDOWS)
    phone = sign_in(alice, SAFARI_ON_IPHONE)
    desktop = sign_in(alice, CHROME_ON_LINUX)

    response = laptop.post(reverse("usersessions_end_others"))

    assert response.status_code == 302
    assert not is_signed_in(phone) and not is_signed_in(desktop)
    assert is_signed_in(laptop)
    assert list(UserSession.objects.filter(user=alice).values_list("session_key", flat=True)) == [
        laptop.session.session_key
    ]


def test_ending_all_other_sessions_leaves_other_peoples_sessions_alone(alice, mallory):
    laptop = sign_in(alice, FIREFOX_ON_WINDOWS)
    mallorys = sign_in(mallory, CHROME_ON_LINUX)

    laptop.post(reverse("usersessions_end_others"))

    assert is_signed_in(mallorys)


def test_ending_this_browsers_own_session_signs_it_out(alice):
    laptop = sign_in(alice, FIREFOX_ON_WINDOWS)

    response = laptop.post(reverse("usersession_end", args=[session_of(laptop).pk]))

    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert not is_signed_in(laptop)
    assert not UserSession.objects.filter(user=alice).exists()


def test_mallory_cannot_end_alices_session(alice, mallory):
    phone = sign_in(alice, SAFARI_ON_IPHONE)
    mallorys = sign_in(mallory, FIREFOX_ON_WINDOWS)

    response = mallorys.post(reverse("usersession_end", args=[session_of(phone).pk]))

    assert response.status_code == 404
    assert is_signed_in(phone)


def test_mallory_does_not_see_alices_sessions(alice, mallory):
    sign_in(alice, SAFARI_ON_IPHONE)
    mallorys = sign_in(mallory, FIREFOX_ON_WINDOWS)

    text = shown_text(mallorys.get(reverse("usersessions_list")).content.decode())

    assert "Mobile Safari on iOS" not in text
    assert "Firefox on Windows" in text


def test_ending_a_session_that_does_not_exist_is_404(alice):
    laptop = sign_in(alice, FIREFOX_ON_WINDOWS)

    assert laptop.post(reverse("usersession_end", args=[987654])).status_code == 404


@pytest.mark.parametrize("url_name", ["usersession_end", "usersessions_end_others"])
def test_a_session_is_never_ended_by_a_get(alice, url_name):
    laptop = sign_in(alice, FIREFOX_ON_WINDOWS)
    phone = sign_in(alice, SAFARI_ON_IPHONE)
    args = [session_of(phone).pk] if url_name == "usersession_end" else []

    response = laptop.get(reverse(url_name, args=args))

    assert response.status_code == 405
    assert is_signed_in(phone)


def test_anonymous_visitor_is_sent_to_login(db):
    response = Client().get(reverse("usersessions_list"))

    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={reverse('usersessions_list')}"


def test_anonymous_visitor_cannot_end_a_session(alice):
    phone = sign_in(alice, SAFARI_ON_IPHONE)

    response = Client().post(reverse("usersession_end", args=[session_of(phone).pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert is_signed_in(phone)


def test_a_browser_that_signed_out_is_no_longer_listed(alice):
    laptop = sign_in(alice, FIREFOX_ON_WINDOWS)
    phone = sign_in(alice, SAFARI_ON_IPHONE)
    phone.post(reverse("account_logout"))

    text = shown_text(laptop.get(reverse("usersessions_list")).content.decode())

    assert "Mobile Safari on iOS" not in text
    assert UserSession.objects.filter(user=alice).count() == 1


def test_sessions_left_behind_by_a_password_change_are_no_longer_listed(alice):
    # Changing the password keeps this browser signed in and signs every other one out.
    laptop = sign_in(alice, FIREFOX_ON_WINDOWS)
    phone = sign_in(alice, SAFARI_ON_IPHONE)
    changed = laptop.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase"},
    )
    assert changed.status_code == 302

    text = shown_text(laptop.get(reverse("usersessions_list")).content.decode())

    assert "Mobile Safari on iOS" not in text
    assert "Firefox on Windows" in text
    assert not is_signed_in(phone)


def test_an_unknown_user_agent_is_shown_as_an_unknown_device(alice):
    laptop = sign_in(alice, "")

    assert "Unknown device" in shown_text(laptop.get(reverse("usersessions_list")).content.decode())


def test_the_page_costs_the_same_queries_however_many_devices(alice, django_assert_max_num_queries):
    laptop = sign_in(alice, FIREFOX_ON_WINDOWS)
    for user_agent in [SAFARI_ON_IPHONE, CHROME_ON_LINUX] * 4:
        sign_in(alice, user_agent)

    with django_assert_max_num_queries(6):
        response = laptop.get(reverse("usersessions_list"))

    assert len(end_buttons(response.content.decode())) == 8


def test_a_session_is_recorded_as_seen_at_most_once_a_minute_with_one_cache_check_per_process(alice, monkeypatch):
    from accounts import sessions

    browser = sign_in(alice, FIREFOX_ON_WINDOWS)
    checks = []
    shared = sessions.cache

    def add(key: str, *args: object, **kwargs: object) -> bool:
        checks.append(key)
        return shared.add(key, *args, **kwargs)

    monkeypatch.setattr(sessions, "cache", SimpleNamespace(add=add))
    clock = [1_000.0]
    monkeypatch.setattr(sessions.time, "monotonic", lambda: clock[0])
    seen = session_of(browser).last_seen_at

    for _ in range(3):
        assert is_signed_in(browser)
    assert len(checks) == 1  # the sign-in marked it: asked once, then remembered here
    assert session_of(browser).last_seen_at == seen

    shared.delete(checks[0])  # the shared mark's minute is over
    clock[0] += sessions.SEEN_EVERY + 1
    assert is_signed_in(browser)
    assert len(checks) == 2
    assert session_of(browser).last_seen_at > seen
