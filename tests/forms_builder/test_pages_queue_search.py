"""The staff queue's search finds a form ticket by what was answered, not only by subject and description."""

from __future__ import annotations

from django.urls import reverse

from forms_builder.services import submission_create
from tests.forms_builder.examples import bug_report_form


def test_queue_search_finds_a_ticket_by_an_answer(alice, bob, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)
    answers = {"product": "desktop", "version": "build-7731", "summary": "Crashes on start"}
    submission_create(form=form, answers=answers, requester=alice, actor=alice)
    submission_create(form=form, answers={"product": "web", "summary": "Grey button"}, requester=alice, actor=alice)

    body = client_for(bob).get(reverse("staff_queue"), {"q": "BUILD-7731"}).content.decode()

    assert "Crashes on start" in body
    assert "Grey button" not in body
