"""An admin object page for an id no row can have is Django's "doesn't exist" answer, and an add page's initial
choice of one (`?ticket=abc`) is no choice: before, a number past 64 bits on a one-to-one key overflowed SQLite's
driver, and an odd initial choice reached the database (a ValueError everywhere). Every registered admin is walked."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models.fields.related import RelatedField
from django.urls import reverse

from tests.support.hostile import row_counts

pytestmark = pytest.mark.django_db

REGISTRY = sorted(admin.site._registry, key=lambda model: model._meta.label)
ODD_IDS = ["99999999999999999999", "abc"]
# Sent for a search-as-you-type choice: ids no row can have, which the form refuses and then shows again.
ODD_CHOSEN_IDS = [*ODD_IDS, "1.0", "1e3", "true", "0x1"]
AUTOCOMPLETED = [(model, name) for model in REGISTRY for name in admin.site._registry[model].autocomplete_fields]


def _url_name(model: type, view: str) -> str:
    return f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"


@pytest.mark.parametrize("model", REGISTRY, ids=[model._meta.label for model in REGISTRY])
def test_every_admin_object_page_for_an_id_no_row_can_have_says_it_does_not_exist(client_for, carol, model):
    client = client_for(carol)
    before = row_counts()

    for view in ("change", "delete", "history"):
        for odd_id in ODD_IDS:
            response = client.get(reverse(_url_name(model, view), args=[odd_id]))

            # Missing: back to the admin's front page with a message; a delete the admin may not do at all: 403.
            expected = {(302, reverse("admin:index"))} | ({(403, None)} if view == "delete" else set())
            assert (response.status_code, response.get("Location")) in expected, (view, odd_id)
    assert row_counts() == before


@pytest.mark.parametrize("model", REGISTRY, ids=[model._meta.label for model in REGISTRY])
def test_every_admin_add_page_ignores_an_initial_choice_no_row_can_have(client_for, carol, model):
    client = client_for(carol)
    url = reverse(_url_name(model, "add"))
    relations = [field.name for field in model._meta.get_fields() if isinstance(field, RelatedField)]

    for name in relations:
        for odd_id in ODD_IDS:
            response = client.get(url, {name: odd_id})

            assert response.status_code in (200, 403), (name, odd_id)


@pytest.mark.parametrize(
    ("model", "name"), AUTOCOMPLETED, ids=[f"{model._meta.label}.{name}" for model, name in AUTOCOMPLETED]
)
def test_every_admin_form_sent_back_with_a_chosen_id_no_row_can_have_shows_its_error(client_for, carol, model, name):
    client = client_for(carol)
    before = row_counts()

    for odd_id in ODD_CHOSEN_IDS:
        response = client.post(reverse(_url_name(model, "add")), {name: odd_id})

        assert response.status_code in (200, 403), odd_id
        if response.status_code == 200:
            assert name in response.context["adminform"].form.errors, odd_id
    assert row_counts() == before
