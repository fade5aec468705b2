"""submission_create: the ticket it opens, what it stores, the private link, and what it refuses."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role, User
from accounts.services import user_update
from forms_builder.models import Submission
from forms_builder.services import form_publish, public_requester_for, submission_create, submission_for_token
from helpdesk.errors import FileTooLarge, InvalidValue
from tests.forms_builder.examples import bug_report_form
from tickets.models import Priority

DESKTOP = {"product": "desktop", "version": "2.1", "summary": "Crashes   on\nstart"}


@pytest.fixture
def form(category, carol):
    form = bug_report_form(category)
    # The summary is the description too, so one answer shows the subject tidied and the description kept as typed.
    form.description_field = "summary"
    form.save()
    form_publish(form=form, actor=carol)
    return form


@pytest.fixture
def public_form(category, carol):
    return bug_report_form(category, admin=carol, public=True)


def test_the_ticket_gets_the_forms_category_team_priority_subject_and_description(form, alice, category, team):
    submission, _token = submission_create(form=form, answers=DESKTOP, requester=alice, actor=alice)

    ticket = submission.ticket
    assert ticket.requester == alice
    assert (ticket.category, ticket.team, ticket.priority) == (category, team, Priority.HIGH)
    assert ticket.subject == "Desktop: Crashes on start"
    assert ticket.description == "Crashes   on\nstart"


def test_the_submission_keeps_its_version_answers_and_search_text(form, alice):
    submission, _token = submission_create(form=form, answers={**DESKTOP, "stray": "x"}, requester=alice, actor=alice)

    assert submission.version.number == 1
    assert submission.answers == DESKTOP
    assert submission.answers_text.splitlines()[:2] == ["Product: Desktop", "Version: 2.1"]


def test_file_answers_become_the_tickets_attachments(form, alice):
    files = {"screenshot": [SimpleUploadedFile("crash.PNG", b"png-bytes")]}

    submission, _token = submission_create(form=form, answers=DESKTOP, files=files, requester=alice, actor=alice)

    assert [a.filename for a in submission.ticket.attachments.all()] == ["crash.PNG"]
    assert submission.answers["screenshot"] == [{"filename": "crash.PNG", "size": 9}]


def test_invalid_answers_raise_with_details_by_field_key(form, alice):
    with pytest.raises(InvalidValue) as refused:
        submission_create(form=form, answers={"product": "desktop"}, requester=alice, actor=alice)

    assert refused.value.details == {"version": ["This field is required."], "summary": ["This field is required."]}
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("C:\\fakepath\\crash.png", "crash.png"),
        ("../crash\x07\x1b.png", "crash.png"),
        ("\x07" * 10 + "c" * 300 + ".png", "c" * 241 + ".png"),  # cut to 255 by Django before cleaning
    ],
)
def test_a_file_over_the_attachment_limit_is_named_as_the_ticket_would_show_it(form, alice, settings, sent, shown):
    settings.ATTACHMENT_MAX_BYTES = 4
    files = {"screenshot": [SimpleUploadedFile(sent, b"png-bytes")]}

    with pytest.raises(FileTooLarge) as refused:
        submission_create(form=form, answers=DESKTOP, files=files, requester=alice, actor=alice)

    assert refused.value.message == f"“{shown}” is larger than the limit of 4 bytes."
    assert refused.value.details == {"files": [f"“{shown}” is too large."]}


def test_an_inactive_form_is_refused(form, alice):
    form.is_active = False
    form.save()

    with pytest.raises(InvalidValue) as refused:
        submission_create(form=form, answers=DESKTOP, requester=alice, actor=alice)

    assert list(refused.value.details) == ["form"]


def test_an_unpublished_form_is_refused(category, alice):
    draft = bug_report_form(category)

    with pytest.raises(InvalidValue) as refused:
        submission_create(form=draft, answers=DESKTOP, requester=alice, actor=alice)

    assert refused.value.details == {"form": ["This form has not been published yet."]}


def test_a_public_form_returns_a_token_whose_digest_opens_the_submission(public_form):
    requester = public_requester_for(email="Visitor@Example.com")

    submission, token = submission_create(form=public_form, answers=DESKTOP, requester=requester, actor=requester)

    assert token and len(token) >= 43
    assert submission.access_token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in submission.access_token_digest
    assert submission_for_token(token=token) == submission
    assert submission_for_token(token=token + "x") is None


def test_a_private_form_gives_no_token(form, alice):
    submission, token = submission_create(form=form, answers=DESKTOP, requester=alice, actor=alice)

    assert token is None
    assert submission.access_token_digest == ""
    assert submission_for_token(token="") is None


def test_a_new_address_gets_a_passwordless_requester_account(db):
    requester = public_requester_for(email=" New.Person@Example.com ")

    assert requester.email == "new.person@example.com"
    assert not requester.has_usable_password()
    assert requester.role == Role.REQUESTER


def test_a_known_address_reuses_its_account_whatever_the_case(alice):
    assert public_requester_for(email="ALICE@example.com") == alice
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


def test_an_invalid_address_is_refused(db):
    with pytest.raises(InvalidValue) as refused:
        public_requester_for(email="not an address")

    assert list(refused.value.details) == ["email"]


def test_a_public_submission_may_not_use_a_staff_address(bob):
    import pytest

    from forms_builder.services import public_requester_for
    from helpdesk.errors import InvalidValue

    with pytest.raises(InvalidValue) as refused:
        public_requester_for(email="BOB@example.com")
    assert "email" in refused.value.details


def test_a_public_submission_may_not_use_a_deactivated_accounts_address(alice, carol):
    user_update(user=alice, actor=carol, is_active=False)

    with pytest.raises(InvalidValue) as refused:
        public_requester_for(email="ALICE@example.com")
    assert list(refused.value.details) == ["email"]
