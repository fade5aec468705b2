"""`/tickets/new/` sends requesters to the intake forms once one is published, and keeps the plain form until then."""

from __future__ import annotations

from django.urls import reverse

from tests.forms_builder.examples import bug_report_form
from tests.forms_builder.pages_support import fill_url, simple_form
from tickets.models import Category


def test_without_a_published_form_the_plain_new_ticket_page_still_works(alice, category, client_for):
    response = client_for(alice).get(reverse("ticket_new"))

    assert response.status_code == 200
    assert 'name="subject"' in response.content.decode()


def test_with_a_published_form_new_ticket_goes_to_the_forms_page(alice, category, carol, client_for):
    bug_report_form(category=category, admin=carol)

    response = client_for(alice).get(reverse("ticket_new"))

    assert response.status_code == 302
    assert response["Location"] == reverse("form_list")


def test_a_category_with_exactly_one_form_goes_straight_to_it(alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)

    response = client_for(alice).get(reverse("ticket_new"), {"category": category.slug})

    assert response["Location"] == fill_url(form)


def test_a_category_with_several_forms_goes_to_the_list(alice, category, carol, client_for):
    bug_report_form(category=category, admin=carol)
    simple_form(category=category, admin=carol, slug="question", name="Question")
    other = Category.objects.create(name="Empty", slug="empty")

    several = client_for(alice).get(reverse("ticket_new"), {"category": category.slug})
    none = client_for(alice).get(reverse("ticket_new"), {"category": other.slug})

    assert several["Location"] == reverse("form_list")
    assert none["Location"] == reverse("form_list")
