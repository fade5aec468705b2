"""A mail goes to every recipient of its cause, once each: an address that differs from another only by a dotless i
(`mona@ma\u0131l.example`, which PostgreSQL's case-insensitive match takes for `mona@mail.example`) is someone
else's, as every door finding an account by address holds (accounts.selectors.accounts_at_address)."""

from __future__ import annotations

from django.core import mail

from accounts.services import user_create
from tests.conftest import PASSWORD
from tickets.services import comment_create


def test_a_follower_at_an_address_that_differs_by_a_dotless_i_does_not_take_the_requesters_mail(worker, ticket, bob):
    ticket.requester.email = "mona@mail.example"
    ticket.requester.save(update_fields=["email"])
    lookalike = user_create(email="mona@ma\u0131l.example", password=PASSWORD)
    ticket.followers.add(lookalike)

    worker(lambda: comment_create(ticket=ticket, author=bob, body="Fixed in the next invoice."))

    assert sorted(message.to[0] for message in mail.outbox) == ["mona@mail.example", "mona@ma\u0131l.example"]


def test_a_mail_is_threaded_under_its_own_recipients_mails_never_a_lookalikes(worker, ticket, bob):
    ticket.requester.email = "mona@mail.example"
    ticket.requester.save(update_fields=["email"])
    lookalike = user_create(email="mona@ma\u0131l.example", password=PASSWORD)
    ticket.followers.add(lookalike)
    worker(lambda: comment_create(ticket=ticket, author=bob, body="Looking into it."))
    first_to = {message.to[0]: message.extra_headers["Message-ID"] for message in mail.outbox}
    mail.outbox.clear()

    worker(lambda: comment_create(ticket=ticket, author=bob, body="Fixed in the next invoice."))

    references = {message.to[0]: message.extra_headers["References"] for message in mail.outbox}
    assert references == first_to
