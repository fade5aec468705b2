"""The staff queue's search finds a form ticket by what was answered, not only by subject and description."""

from __future__ import annotations

from django.urls import reverse

from forms_builder.services import submission_create
from search.services import ticket_documents_rebuild
from tests.forms_builder.examples import bug_report_form


def test_queue_search_finds_a_ticket_by_an_answer(alice, bob, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)
    answers = {"product": "desktop", "version": "build-7731", "summary": "Crashes on start"}
    first, _ = submission_create(form=form, answers=answers, requester=alice, actor=alice)
    second, _ = submission_create(
        form=form, answers={"product": "web", "summary": "Grey button"}, requester=alice, actor=alice
    )
    ticket_documents_rebuild(ticket_ids=[first.ticket_id, second.ticket_id])  # what the worker does on their events

    body = client_for(bob).get(reverse("staff_queue"), {"q": "BUILD-7731"}).content.decode()

    assert "Crashes on start" in body
    assert "Grey button" not in body
