"""A signed-in requester fills in the Bug report: the conditional Version field decides exactly which ticket opens."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from forms_builder.models import Field, FieldType, Form, Submission
from forms_builder.services import form_publish
from tests.forms_builder.examples import bug_report_form, form_with_one_field
from tests.forms_builder.pages_support import answers, fill_url, simple_form
from tests.support.html import elements
from tickets.models import BODY_MAX_CHARS, Ticket


def test_desktop_bug_with_a_version_opens_a_ticket_and_shows_it(alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)
    data = answers(product="desktop", version="4.2", summary="Crashes on start", details="Every time.")

    response = client_for(alice).post(fill_url(form), data)

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", args=[ticket.pk])
    assert (ticket.requester, ticket.category) == (alice, category)
    assert "Crashes on start" in ticket.subject
    assert ticket.submission.answers == {
        "product": "desktop",
        "version": "4.2",
        "summary": "Crashes on start",
        "details": "Every time.",
    }


def test_desktop_bug_without_a_version_is_refused_with_the_message_next_to_version(alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)

    response = client_for(alice).post(fill_url(form), answers(product="desktop", summary="Crashes on start"))

    body = response.content.decode()
    version = next(attrs for tag, attrs in elements(body) if attrs.get("name") == "answer-version")
    errors = next(attrs for tag, attrs in elements(body) if attrs.get("id") == "id_answer-version_error")
    assert response.status_code == 200
    assert "id_answer-version_error" in version["aria-describedby"]
    assert errors["class"] == "errorlist"
    assert "Your request was not sent" in body
    assert not Ticket.objects.exists()


def test_what_was_typed_is_kept_when_the_form_comes_back_with_errors(alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)
    data = answers(product="desktop", summary="Crashes on start", details="Line one\nline two")

    body = client_for(alice).post(fill_url(form), data).content.decode()

    inputs = {attrs.get("name"): attrs for tag, attrs in elements(body)}
    assert inputs["answer-summary"]["value"] == "Crashes on start"
    assert "Line one\nline two</textarea>" in body
    selected = [attrs["value"] for tag, attrs in elements(body) if tag == "option" and "selected" in attrs]
    assert selected == ["desktop"]


def test_a_form_that_comes_back_names_the_files_to_choose_again(alice, category, carol, client_for):
    """No page can put chosen files back in a file input: the requester is told, so Send does not go without them."""
    form = bug_report_form(category=category, admin=carol)
    screenshot = SimpleUploadedFile("screen.png", b"\x89PNG fake", content_type="image/png")
    data = {**answers(product="desktop", summary="Crashes on start"), "answer-screenshot": screenshot}

    body = client_for(alice).post(fill_url(form), data).content.decode()

    assert "Your request was not sent" in body
    assert "Not attached yet: “screen.png”. Choose the files again." in body


def test_a_form_closed_while_being_filled_in_sends_nothing_and_gives_back_what_was_typed(
    alice, category, carol, client_for
):
    form = bug_report_form(category=category, admin=carol)
    client = client_for(alice)
    client.get(fill_url(form))
    Form.objects.filter(pk=form.pk).update(is_active=False)  # an admin closes it meanwhile

    response = client.post(fill_url(form), answers(product="web", summary="Crashes <on> start", details="Every time."))

    body = response.content.decode()
    assert response.status_code == 404  # as an unknown form's: the closed form's questions are not shown
    assert "This form is not accepting requests" in body and "Nothing was sent." in body
    assert "Crashes &lt;on&gt; start</pre>" in body and "Every time.</pre>" in body
    assert "Summary" not in body
    assert not Ticket.objects.exists()


def test_a_version_posted_for_the_web_product_is_not_stored(alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)
    data = answers(product="web", version="4.2", summary="Button is grey")

    response = client_for(alice).post(fill_url(form), data)

    submission = Submission.objects.get()
    assert response.status_code == 302
    assert "version" not in submission.answers
    assert "4.2" not in submission.answers_text
    assert submission.answers == {"product": "web", "summary": "Button is grey"}


def test_an_uploaded_screenshot_becomes_the_tickets_attachment(alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)
    screenshot = SimpleUploadedFile("screen.png", b"\x89PNG fake", content_type="image/png")
    data = {**answers(product="web", summary="Button is grey"), "answer-screenshot": screenshot}

    response = client_for(alice).post(fill_url(form), data)

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert list(ticket.attachments.values_list("filename", "comment")) == [("screen.png", None)]
    page = client_for(alice).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "screen.png" in page


def test_staff_submitting_for_themselves_land_on_the_staff_ticket_page(bob, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)

    response = client_for(bob).post(fill_url(form), answers(product="web", summary="Button is grey"))

    ticket = Ticket.objects.get()
    assert ticket.requester == bob
    assert response["Location"] == reverse("staff_ticket_detail", args=[ticket.pk])


def test_the_same_form_sent_twice_opens_one_ticket_and_shows_it_again(alice, category, carol, client_for):
    """A double click on Send, or the browser sending the post again: one ticket, and the second post goes to it."""
    form = bug_report_form(category=category, admin=carol)
    client = client_for(alice)
    page = client.get(fill_url(form)).content.decode()
    token = re.search(r'<input type="hidden" name="submit_token" value="([^"]+)"', page).group(1)
    data = {**answers(product="web", summary="Crashes on start"), "submit_token": token}

    client.post(fill_url(form), data)
    again = client.post(fill_url(form), data, follow=True)

    ticket = Ticket.objects.get()
    assert again.redirect_chain[-1][0] == reverse("ticket_detail", args=[ticket.pk])
    assert "Your request was already sent; it was not sent again." in again.content.decode()


def test_a_refused_form_keeps_its_token_so_the_corrected_form_opens_the_ticket(alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)
    client = client_for(alice)
    page = client.get(fill_url(form)).content.decode()
    token = re.search(r'<input type="hidden" name="submit_token" value="([^"]+)"', page).group(1)

    refused = client.post(fill_url(form), {**answers(product="desktop", summary="Crash"), "submit_token": token})
    data = {**answers(product="desktop", version="4.2", summary="Crash"), "submit_token": token}
    opened = client.post(fill_url(form), data)

    assert f'name="submit_token" value="{token}"' in refused.content.decode()
    assert opened.status_code == 302
    assert Ticket.objects.count() == 1


def test_details_longer_than_the_limit_are_refused_next_to_the_field_and_kept(alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)
    text = "x" * (BODY_MAX_CHARS + 1)

    response = client_for(alice).post(fill_url(form), answers(product="web", summary="Long", details=text))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_answer-details_error"' in body
    assert "Enter at most 65536 characters." in body
    assert f"{text}</textarea>" in body
    assert not Ticket.objects.exists()


def test_a_textareas_line_breaks_count_as_the_browser_counted_them(alice, category, carol, client_for):
    """A browser sends each line break as CRLF but counts it as one character against the length."""
    form = simple_form(category=category, admin=carol, slug="note", name="Note", kind=FieldType.TEXTAREA)
    Field.objects.filter(form=form, key="question").update(max_length=11)
    form_publish(form=form, actor=carol)

    response = client_for(alice).post(fill_url(form), answers(question="hello\r\nworld"))

    assert response.status_code == 302
    assert Submission.objects.get().answers == {"question": "hello\nworld"}


def test_a_form_published_with_a_field_keyed_form_shows_its_problem_next_to_it(alice, category, carol, client_for):
    """Its problem is reported under `answers.form`, apart from the submission's own `form` (closed, unpublished)."""
    form = form_with_one_field(category=category, admin=carol, key="form", required=True)

    response = client_for(alice).post(fill_url(form), answers(form=""))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_answer-form_error"' in body and "This field is required." in body
    assert not Ticket.objects.exists()
