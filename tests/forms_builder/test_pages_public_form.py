"""A public form without an account: an email makes a passwordless requester, and a private link opens that one
ticket (and nothing else) read-only."""

from __future__ import annotations

import importlib
import re

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from accounts.services import user_update
from forms_builder.models import Submission
from tests.forms_builder.examples import bug_report_form, form_with_one_field
from tests.forms_builder.pages_support import answers, fill_url
from tests.support.html import shows_as_text
from tickets.models import Ticket
from tickets.services import comment_create

upgrade = importlib.import_module("forms_builder.migrations.0003_submission_access_address")


@pytest.fixture
def public_bug_report(category, carol):
    return bug_report_form(category=category, admin=carol, public=True)


def submit_anonymously(client, form, email="visitor@example.com", summary="Button is grey"):
    data = {**answers(product="web", summary=summary), "requester-email": email}
    return client.post(fill_url(form), data)


def private_path(response) -> str:
    found = re.search(r'href="https?://[^/"]+(/forms/ticket/[^/"]+/)"', response.content.decode())
    assert found, "no private link on the page"
    return found.group(1)


def test_anonymous_submission_creates_a_passwordless_requester_and_their_ticket(public_bug_report, client):
    response = submit_anonymously(client, public_bug_report)

    visitor = User.objects.get(email="visitor@example.com")
    assert response.status_code == 200
    assert not visitor.has_usable_password()
    assert Ticket.objects.get().requester == visitor


def test_the_typed_address_stays_unconfirmed_until_a_password_reset_proves_it(public_bug_report, client, mailoutbox):
    submit_anonymously(client, public_bug_report)
    assert not EmailAddress.objects.get(email="visitor@example.com").verified

    # The owner sets a password through a link mailed to the address: following it proves the address.
    client.post(reverse("account_reset_password"), {"email": "visitor@example.com"})
    link = re.search(r"http://testserver(/accounts/password/reset/key/[^\s]+/)", mailoutbox[-1].body).group(1)
    client.post(client.get(link).url, {"password1": "a-long-new-passphrase", "password2": "a-long-new-passphrase"})
    assert EmailAddress.objects.get(email="visitor@example.com").verified

    client.post(reverse("account_login"), {"login": "visitor@example.com", "password": "a-long-new-passphrase"})
    assert client.session["_auth_user_id"] == str(User.objects.get(email="visitor@example.com").pk)


def test_the_confirmation_shows_a_private_link_that_opens_the_ticket_read_only(public_bug_report, bob, client):
    response = submit_anonymously(client, public_bug_report)
    ticket = Ticket.objects.get()
    comment_create(ticket=ticket, author=bob, body="Which browser?")
    comment_create(ticket=ticket, author=bob, body="Probably the CSS cache", internal=True)

    page = client.get(private_path(response))

    body = page.content.decode()
    assert page.status_code == 200
    assert ticket.subject in body and "Which browser?" in body
    assert "Button is grey" in body and "Summary" in body  # the answers, with their labels
    assert "Probably the CSS cache" not in body
    assert "<textarea" not in body  # read-only: no reply form


def test_the_token_is_not_put_in_a_redirect(public_bug_report, client):
    response = submit_anonymously(client, public_bug_report)

    assert response.status_code == 200
    assert "Location" not in response
    assert response["Cache-Control"] == "no-store"


def test_another_token_opens_nothing(public_bug_report, client):
    submit_anonymously(client, public_bug_report)

    assert client.get(reverse("form_private_ticket", args=["not-the-token"])).status_code == 404


def test_a_private_link_opens_its_own_ticket_and_no_other(public_bug_report, client):
    first = private_path(submit_anonymously(client, public_bug_report, summary="First problem"))
    second = private_path(submit_anonymously(client, public_bug_report, email="other@example.com", summary="Second"))

    body = client.get(first).content.decode()

    assert first != second
    assert "First problem" in body and "Second" not in body


def assert_opens_nothing(client, path: str) -> None:
    """The link is refused with the very page an unknown or revoked link gets."""
    refused = client.get(path)
    unknown = client.get(reverse("form_private_ticket", args=["not-the-token"]))
    assert refused.status_code == unknown.status_code == 404
    assert [template.name for template in refused.templates] == [template.name for template in unknown.templates]
    assert "Page not found" in refused.content.decode()


def test_a_deactivated_requesters_link_opens_nothing_until_the_account_is_reactivated(
    public_bug_report, client, carol, bob, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    path = private_path(submit_anonymously(client, public_bug_report))
    visitor = User.objects.get(email="visitor@example.com")

    user_update(user=visitor, actor=carol, is_active=False)
    assert_opens_nothing(client, path)

    # No new link is mailed meanwhile: it would open nothing either.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reissue = reverse("staff_private_link_reissue", args=[Ticket.objects.get().pk])
        refused = client_for(bob).post(reissue, follow=True)
    assert "The private link was not changed" in refused.content.decode() and mailoutbox == []

    user_update(user=visitor, actor=carol, is_active=True)
    assert client.get(path).status_code == 200


def test_a_link_stops_working_when_the_requesters_address_changes_and_staff_mail_a_new_one(
    public_bug_report, client, carol, bob, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    path = private_path(submit_anonymously(client, public_bug_report))
    visitor = User.objects.get(email="visitor@example.com")
    ticket = Ticket.objects.get()

    user_update(user=visitor, actor=carol, email="Visitor.New@example.com")
    assert_opens_nothing(client, path)

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the worker mails the new link
        client_for(bob).post(reverse("staff_private_link_reissue", args=[ticket.pk]))
    [message] = mailoutbox
    assert message.to == ["visitor.new@example.com"]
    new_path = re.search(r"http://[^/\s]+(/forms/ticket/[^/\s]+/)", message.body).group(1)
    assert "Button is grey" in client.get(new_path).content.decode()
    assert_opens_nothing(client, path)


def test_a_link_stops_working_when_the_ticket_goes_to_another_requester(public_bug_report, client, alice):
    path = private_path(submit_anonymously(client, public_bug_report))

    Ticket.objects.update(requester=alice)  # a correction made in the database: no page or service moves a ticket

    assert_opens_nothing(client, path)


def test_links_given_before_the_upgrade_keep_opening_their_ticket_until_the_address_changes(
    public_bug_report, client, carol
):
    path = private_path(submit_anonymously(client, public_bug_report))
    Submission.objects.update(access_address="")  # as an install had it before forms_builder migration 0003

    upgrade.address_links_to_their_requesters(apps, None)

    assert client.get(path).status_code == 200
    user_update(user=User.objects.get(email="visitor@example.com"), actor=carol, email="elsewhere@example.com")
    assert_opens_nothing(client, path)


def test_the_ticket_id_page_still_requires_signing_in(public_bug_report, client):
    submit_anonymously(client, public_bug_report)
    ticket = Ticket.objects.get()

    response = client.get(reverse("ticket_detail", args=[ticket.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_anonymous_submission_needs_a_valid_email(public_bug_report, client):
    response = submit_anonymously(client, public_bug_report, email="not an address")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_requester-email_error"' in body
    assert not Ticket.objects.exists() and not Submission.objects.exists()


def test_a_form_published_with_a_field_keyed_requester_shows_its_problem_next_to_it(carol, category, client):
    """Its problem is reported under `answers.requester` (forms_builder.definitions.error_key), still its input's."""
    form = form_with_one_field(category=category, admin=carol, key="requester", public=True, required=True)

    response = client.post(fill_url(form), {**answers(requester=""), "requester-email": "not an address"})

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_requester-email_error"' in body and 'id="id_answer-requester_error"' in body
    assert not Ticket.objects.exists()


def test_refused_answers_leave_no_account_behind(public_bug_report, client):
    data = {**answers(product="desktop", summary="Crashes"), "requester-email": "visitor@example.com"}

    response = client.post(fill_url(public_bug_report), data)

    assert response.status_code == 200
    assert 'id="id_answer-version_error"' in response.content.decode()
    assert not User.objects.filter(email="visitor@example.com").exists()


def test_a_deactivated_accounts_address_is_refused_next_to_the_email_input_keeping_what_was_typed(
    public_bug_report, client, alice, carol
):
    user_update(user=alice, actor=carol, is_active=False)

    response = submit_anonymously(client, public_bug_report, email="Alice@Example.com", summary="Button is grey")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_requester-email_error"' in body and "deactivated" in body
    assert "Button is grey" in body and 'value="Alice@Example.com"' in body
    assert not Ticket.objects.exists() and not Submission.objects.exists()


def _answers_with_files(count: int, size: int) -> dict[str, object]:
    files = [SimpleUploadedFile(f"log{i}.txt", b"x" * size) for i in range(count)]
    return {**answers(product="web", summary="Huge"), "requester-email": "visitor@example.com", "answer-logs": files}


@pytest.mark.usefixtures("one_file_of_1_mb")
def test_a_post_declaring_more_than_the_upload_limit_is_refused_unread(public_bug_report, client, upload_temp_dir):
    response = client.post(fill_url(public_bug_report), _answers_with_files(4, 1024 * 1024))

    assert response.status_code == 413
    assert shows_as_text(response.content.decode(), "larger than the 3.5 MB we accept")
    assert not Ticket.objects.exists() and not User.objects.filter(email="visitor@example.com").exists()
    assert not any(upload_temp_dir.iterdir())


def _every_mistake_at_once(email: str) -> dict[str, object]:
    """A guest's post wrong everywhere: the address, no version for the desktop app, too long a summary, an .exe."""
    screenshot = SimpleUploadedFile("screen.exe", b"MZ")
    typed = answers(product="desktop", version="", summary="s" * 101, details="Since Monday", screenshot=screenshot)
    return {**typed, "requester-email": email}


@pytest.mark.parametrize(
    "email", ["not an address", "Alice@Example.com"], ids=["malformed-address", "deactivated-address"]
)
def test_one_post_shows_the_address_error_and_every_answer_error_keeping_what_was_typed(
    public_bug_report, client, alice, carol, email
):
    user_update(user=alice, actor=carol, is_active=False)

    response = client.post(fill_url(public_bug_report), _every_mistake_at_once(email))

    body = response.content.decode()
    assert response.status_code == 200
    for name in ("requester-email", "answer-version", "answer-summary", "answer-screenshot"):
        assert f'id="id_{name}_error"' in body, f"no error next to {name}"
    assert f'value="{email}"' in body and 'value="{}"'.format("s" * 101) in body and "Since Monday" in body
    assert not Ticket.objects.exists() and not User.objects.filter(email="not an address").exists()
