"""The preview shows the saved draft on the requesters' own page, with what would stop it from publishing."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from forms_builder.models import Field, FormVersion
from tests.forms_builder.admin_support import two_field_bug_report
from tests.support.html import blocked_by_strict_csp

pytestmark = pytest.mark.django_db


@pytest.fixture
def form(category):
    return two_field_bug_report(category)


def preview_url(form):
    return reverse("admin:forms_builder_form_preview", args=[form.pk])


def test_preview_shows_an_unpublished_field(client_for, carol, form):
    Field.objects.create(form=form, key="steps", label="Steps to reproduce", position=30, type="textarea")

    response = client_for(carol).get(preview_url(form))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Steps to reproduce" in page
    assert "Product" in page
    assert not FormVersion.objects.exists()


def test_preview_lists_what_would_stop_publishing(client_for, carol, form):
    form.subject_template = "Bug in {nonexistent}"
    form.save()

    response = client_for(carol).get(preview_url(form))

    assert response.status_code == 200
    assert response.context["problems"]
    assert "Not publishable" in response.content.decode()


def test_preview_cannot_send_anything(client_for, carol, form):
    client = client_for(carol)

    page = client.get(preview_url(form)).content.decode()
    posted = client.post(preview_url(form), {"answer-product": "web"})

    assert re.search(r"<button[^>]*disabled", page)
    assert re.search(r"<form data-conditional-fields[^>]*>", page)
    assert not re.search(r"<form[^>]*data-conditional-fields[^>]*action=|<form[^>]*action=[^>]*data-conditional", page)
    assert posted.status_code == 405


def test_preview_works_under_the_strict_csp(client_for, carol, form):
    response = client_for(carol).get(preview_url(form))

    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert blocked_by_strict_csp(response.content.decode(), nonce=nonce and nonce.group(1)) == []


def test_change_page_offers_preview_publish_and_duplicate(client_for, carol, form):
    page = client_for(carol).get(reverse("admin:forms_builder_form_change", args=[form.pk])).content.decode()

    assert f'href="{preview_url(form)}"' in page
    assert f'action="{reverse("admin:forms_builder_form_publish", args=[form.pk])}"' in page
    assert f'action="{reverse("admin:forms_builder_form_duplicate", args=[form.pk])}"' in page
