from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


def log_in(email: str, password: str = PASSWORD) -> tuple[Client, object]:
    client = Client()
    response = client.post(reverse("account_login"), {"login": email, "password": password}, follow=True)
    return client, response


def test_login_page_asks_for_email_and_password(db):
    response = Client().get(reverse("account_login"))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="login"' in body and 'type="email"' in body
    assert 'name="password"' in body


def test_requester_logging_in_with_email_lands_on_her_tickets(alice):
    _, response = log_in("alice@example.com")

    assert response.redirect_chain[-1][0] == reverse("ticket_list")
    assert "My tickets" in response.content.decode()


def test_email_is_matched_case_insensitively(alice):
    _, response = log_in("Alice@Example.com")

    assert response.redirect_chain[-1][0] == reverse("ticket_list")


def test_agent_logging_in_lands_on_the_queue(bob):
    _, response = log_in("bob@example.com")

    assert response.redirect_chain[-1][0] == reverse("staff_queue")


def test_admin_logging_in_lands_on_the_queue(carol):
    _, response = log_in("carol@example.com")

    assert response.redirect_chain[-1][0] == reverse("staff_queue")


def test_wrong_password_shows_an_error_and_does_not_log_in(alice):
    client, response = log_in("alice@example.com", "wrong-password")

    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_anonymous_visitor_is_sent_to_login_from_home(db):
    response = Client().get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_anonymous_visitor_is_sent_to_login_from_a_ticket_page(ticket):
    response = Client().get(reverse("ticket_detail", args=[ticket.pk]))

    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={reverse('ticket_detail', args=[ticket.pk])}"


def test_logging_out_is_a_post_that_ends_the_session(alice, client_for):
    client = client_for(alice)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert client.get(reverse("ticket_list")).status_code == 302


def test_logging_out_by_a_plain_link_only_asks_for_confirmation(alice, client_for):
    client = client_for(alice)

    assert client.get(reverse("account_logout")).status_code == 200
    assert client.get(reverse("ticket_list")).status_code == 200


def test_the_session_cookie_is_http_only_and_same_site_lax(alice):
    client = Client()

    client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})

    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
