"""The queue's forms are kept as rendered HTML ({% cache %}, each process's memory) under everything they show: the
next page with the same options reuses it without building the bulk-action and save-view forms, and any change of
what they show (a renamed team, a new agent, other filter values, an error) renders afresh."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from accounts.services import user_create
from queues import forms as queue_forms
from tests.conftest import PASSWORD


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many bulk-action and save-view forms the pages built."""
    counts = {"BulkForm": 0, "SaveViewForm": 0}
    for name in counts:
        form_class = getattr(queue_forms, name)
        original = form_class.__init__

        def counting(self, *args, _name=name, _original=original, **kwargs):
            counts[_name] += 1
            _original(self, *args, **kwargs)

        monkeypatch.setattr(form_class, "__init__", counting)
    return counts


def _form(html: str, form_class: str) -> str:
    """One of the page's forms, by its class attribute, as the page wrote it."""
    return re.search(rf'<form [^>]*class="{form_class}".*?</form>', html, re.S).group(0)


def _fields(form: str) -> str:
    """A form without its hidden inputs (its CSRF token, the page's filters)."""
    return re.sub(r'<input type="hidden"[^>]*>', "", form)


def _selected(html: str, name: str) -> list[str]:
    """The values a select shows chosen, or the checkboxes of that name shown ticked."""
    ticked = re.findall(rf'<input type="checkbox" name="{name}" value="([^"]*)"[^>]* checked', html)
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    return ticked + (re.findall(r'<option value="([^"]*)"[^>]* selected', select.group(0)) if select else [])


def test_pages_with_the_same_options_reuse_the_forms_html_without_building_them(bob, team, category, client_for, built):
    client = client_for(bob)
    first = client.get("/staff/").content.decode()
    assert built == {"BulkForm": 1, "SaveViewForm": 1}

    second = client.get("/staff/?sort=priority").content.decode()
    assert built == {"BulkForm": 1, "SaveViewForm": 1}  # kept: neither form built again
    for form_class in ("queue-bulk-form", "queue-save-form"):
        assert _fields(_form(second, form_class)) == _fields(_form(first, form_class))
    assert f'<option value="{team.pk}">Support</option>' in _form(second, "queue-bulk-form")


def test_a_renamed_team_and_a_new_agent_show_on_the_next_page(bob, team, category, client_for, built):
    client = client_for(bob)
    client.get("/staff/")
    team.name = "Escalations"
    team.save()
    zed = user_create(email="zed@example.com", password=PASSWORD, name="Zed Agent", role=Role.AGENT)

    html = client.get("/staff/").content.decode()

    assert built == {"BulkForm": 2, "SaveViewForm": 2}
    # The team in the filters, the bulk action and "share with" (bob is in it); the agent in both assignee selects.
    assert html.count(f'<option value="{team.pk}">Escalations</option>') == 3
    assert html.count(f'<option value="{zed.pk}">Zed Agent</option>') == 2
    assert ">Support<" not in html


def test_the_filter_form_shows_each_pages_values_and_errors(bob, team, client_for):
    client = client_for(bob)
    filters = _form(client.get("/staff/?status=open").content.decode(), "queue-filters")
    assert _selected(filters, "status") == ["open"]

    filters = _form(client.get("/staff/?status=pending&team=999999").content.decode(), "queue-filters")
    assert _selected(filters, "status") == ["pending"]
    assert "Select a valid choice" in filters

    filters = _form(client.get(f"/staff/?status=pending&team={team.pk}").content.decode(), "queue-filters")
    assert _selected(filters, "team") == [str(team.pk)]
    assert "Select a valid choice" not in filters

    again = _form(client.get("/staff/?status=open&cursor=").content.decode(), "queue-filters")
    assert _selected(again, "status") == ["open"]
    assert _selected(again, "team") == [""]


def test_a_search_longer_than_the_box_holds_says_so_next_to_it(bob, client_for):
    filters = _form(client_for(bob).get("/staff/", {"q": "word " * 1000}).content.decode(), "queue-filters")

    assert 'id="id_q_error"' in filters and "Ensure this value has at most 1000 characters" in filters


def test_the_tag_filter_is_labelled_as_a_tag(bob, client_for):
    filters = _form(client_for(bob).get("/staff/").content.decode(), "queue-filters")

    assert re.search(r'<label for="id_tag"[^>]*>Tag</label>', filters)
