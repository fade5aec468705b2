"""Ticket pages show a form ticket's answers with the labels of the version it was filled in on, in field order."""

from __future__ import annotations

from django.urls import reverse

from forms_builder.models import Field
from forms_builder.services import form_publish, submission_create
from tests.forms_builder.examples import bug_report_form
from tests.support.html import shown_text


def submitted_ticket(form, requester):
    answers = {"product": "desktop", "version": "4.2", "summary": "Crashes on start", "details": "Every time."}
    submission, _ = submission_create(form=form, answers=answers, requester=requester, actor=requester)
    return submission.ticket


def answers_block(html: str) -> str:
    start = html.index('id="answers-heading"')
    return shown_text(html[start : html.index("</section>", start)])


def test_staff_page_shows_the_answers_in_field_order_with_choice_labels(alice, bob, category, carol, client_for):
    ticket = submitted_ticket(bug_report_form(category=category, admin=carol), alice)

    html = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()

    block = answers_block(html)
    assert block.index("Product") < block.index("Desktop") < block.index("Version") < block.index("4.2")
    assert block.index("4.2") < block.index("Summary") < block.index("Crashes on start") < block.index("Details")


def test_staff_page_keeps_the_old_label_after_the_field_is_relabelled_and_republished(
    alice, bob, category, carol, client_for
):
    form = bug_report_form(category=category, admin=carol)
    ticket = submitted_ticket(form, alice)
    Field.objects.filter(form=form, key="version").update(label="App build number")
    form_publish(form=form, actor=carol)

    html = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()

    block = answers_block(html)
    assert "Version" in block and "4.2" in block
    assert "App build number" not in block


def test_requester_sees_her_answers_on_her_ticket_page(alice, category, carol, client_for):
    ticket = submitted_ticket(bug_report_form(category=category, admin=carol), alice)

    html = client_for(alice).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    block = answers_block(html)
    assert "Product" in block and "Desktop" in block and "Crashes on start" in block


def test_a_ticket_opened_without_a_form_has_no_answers_block(alice, ticket, client_for):
    html = client_for(alice).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert 'id="answers-heading"' not in html


def test_answers_add_no_query_to_the_staff_ticket_page(
    alice, bob, category, carol, client_for, django_assert_max_num_queries
):
    ticket = submitted_ticket(bug_report_form(category=category, admin=carol), alice)
    client = client_for(bob)

    # the same seventeen as a ticket without a form (tests/tickets/test_pages_staff_ticket.py): the answers come
    # joined to the ticket's own query
    with django_assert_max_num_queries(17):
        assert client.get(reverse("staff_ticket_detail", args=[ticket.pk])).status_code == 200


def test_answers_add_no_query_to_the_requester_ticket_page(
    alice, category, carol, client_for, django_assert_max_num_queries
):
    ticket = submitted_ticket(bug_report_form(category=category, admin=carol), alice)
    client = client_for(alice)

    # the same eight as a ticket without a form
    with django_assert_max_num_queries(8):
        assert client.get(reverse("ticket_detail", args=[ticket.pk])).status_code == 200
