"""The macros page (list, create, edit, delete) and the macro picker on the ticket page, per role."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.services import user_create, user_update
from macros.models import Macro, MacroVisibility
from tests.support.browser import Browser
from tests.support.html import submit_token
from tickets.models import Comment, Priority, Status, Ticket


@pytest.fixture
def dave(db):
    return user_create(email="dave@example.com", password="x" * 12, name="Dave Agent", role=Role.AGENT)


def test_agent_creates_a_macro_on_the_page(bob, client_for):
    response = client_for(bob).post(
        reverse("macro_new"),
        {"name": "Thanks", "body": "Thanks {{ requester.name }}!", "visibility": "personal", "set_status": "resolved"},
        follow=True,
    )

    assert "Macro “Thanks” created." in response.content.decode()
    macro = Macro.objects.get()
    assert (macro.owner, macro.set_status) == (bob, Status.RESOLVED)


def test_the_same_new_macro_form_sent_twice_creates_one_macro(bob, client_for):
    client = client_for(bob)
    token = submit_token(client.get(reverse("macro_new")).content.decode())
    data = {"name": "Thanks", "body": "Thanks!", "visibility": "personal", "submit_token": token}

    client.post(reverse("macro_new"), data)
    again = client.post(reverse("macro_new"), data, follow=True)

    assert "This macro was already created; it was not created again." in again.content.decode()
    assert Macro.objects.count() == 1


def test_page_refuses_an_unknown_placeholder_and_keeps_the_input(bob, client_for):
    response = client_for(bob).post(
        reverse("macro_new"), {"name": "Bad", "body": "Hi {{ requester.password }}", "visibility": "personal"}
    )

    assert response.status_code == 200
    assert "Unknown placeholder: requester.password." in response.content.decode()
    assert not Macro.objects.exists()


def test_team_sharing_needs_a_team(bob, client_for):
    response = client_for(bob).post(reverse("macro_new"), {"name": "T", "body": "x", "visibility": "team"})

    assert "Choose the team to share it with." in response.content.decode()


def test_list_shows_own_and_shared_macros_but_not_others_personal_ones(bob, dave, team, client_for):
    Macro.objects.create(name="Bob's own", body="x", owner=bob)
    Macro.objects.create(name="Dave's secret", body="x", owner=dave)
    Macro.objects.create(name="For Support", body="x", owner=dave, visibility="team", shared_team=team)
    Macro.objects.create(name="For all", body="x", owner=dave, visibility="everyone")

    body = client_for(bob).get(reverse("macro_list")).content.decode()

    assert "Bob&#x27;s own" in body
    assert "For Support" in body
    assert "For all" in body
    assert "Dave&#x27;s secret" not in body


def test_list_search_matches_words_in_the_name(bob, client_for):
    Macro.objects.create(name="Refund approved", body="x", owner=bob)
    Macro.objects.create(name="Password reset", body="x", owner=bob)

    body = client_for(bob).get(reverse("macro_list"), {"q": "approved refund"}).content.decode()

    assert "Refund approved" in body
    assert "Password reset" not in body


def test_the_list_on_a_phone_scrolls_within_its_table_not_the_whole_page(browser: Browser, bob, macro):
    browser.resize(390, 800)
    browser.log_in(bob)
    browser.open(reverse("macro_list"))

    assert browser.find_all("table")
    assert browser.page_width() <= 390


def test_owner_edits_and_deletes_a_macro(bob, macro, client_for):
    client = client_for(bob)
    data = {"name": "Renamed", "body": macro.body, "visibility": "everyone", "set_priority": Priority.LOW}
    client.post(reverse("macro_edit", args=[macro.pk]), data)
    macro.refresh_from_db()
    assert (macro.name, macro.set_priority) == ("Renamed", Priority.LOW)

    client.post(reverse("macro_delete", args=[macro.pk]))
    assert not Macro.objects.exists()


def test_a_macro_shared_with_a_deleted_team_stays_its_owners_personal_macro(bob, dave, team, client_for):
    macro = Macro.objects.create(name="For Support", body="x", owner=dave, visibility="team", shared_team=team)

    team.delete()

    macro.refresh_from_db()
    assert (macro.visibility, macro.shared_team) == ("personal", None)
    assert "For Support" in client_for(dave).get(reverse("macro_list")).content.decode()
    assert "For Support" not in client_for(bob).get(reverse("macro_list")).content.decode()


def test_another_agent_may_use_a_shared_macro_but_not_change_it(dave, macro, client_for):
    client = client_for(dave)

    assert client.get(reverse("macro_edit", args=[macro.pk])).status_code == 403
    assert client.post(reverse("macro_delete", args=[macro.pk])).status_code == 403
    assert Macro.objects.exists()


def test_an_admin_may_change_anyones_macro(carol, macro, client_for):
    assert client_for(carol).get(reverse("macro_edit", args=[macro.pk])).status_code == 200


def test_someone_elses_personal_macro_is_404(bob, dave, client_for):
    private = Macro.objects.create(name="Mine", body="x", owner=dave)

    assert client_for(bob).get(reverse("macro_edit", args=[private.pk])).status_code == 404


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [("macro_list", [], "get"), ("macro_new", [], "get"), ("macro_edit", [1], "get"), ("macro_delete", [1], "post")],
)
def test_mallory_gets_404_on_every_macro_page(mallory, macro, client_for, name, args, method):
    url = reverse(name, args=[macro.pk] if args else [])

    assert getattr(client_for(mallory), method)(url).status_code == 404


def test_ticket_page_macro_picker_fills_the_reply_box_without_javascript(alice, bob, ticket, macro, client_for):
    url = reverse("staff_ticket_detail", args=[ticket.pk])

    body = client_for(bob).get(url, {"macro": macro.pk}).content.decode()

    textarea = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', body, re.S).group(1)
    assert f"Hi Alice, about #{ticket.pk}" in textarea
    assert re.search(rf'<input type="hidden" name="macro" value="{macro.pk}"', body)
    assert "sending will also set the status to pending" in body


def test_sending_the_filled_box_applies_the_macros_actions(bob, ticket, macro, client_for):
    response = client_for(bob).post(
        reverse("staff_ticket_reply", args=[ticket.pk]),
        {"body": "My edited text", "mode": "reply", "macro": macro.pk},
        follow=True,
    )

    assert "Macro “Need more info” applied." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.assignee == bob
    assert Comment.objects.get().body == "My edited text"


@pytest.mark.parametrize("gone", ["deleted", "no longer shared"])
def test_a_macro_gone_since_the_page_was_loaded_sends_nothing_and_keeps_the_text(bob, dave, ticket, client_for, gone):
    chosen = Macro.objects.create(
        name="Escalate",
        body="Escalating.",
        owner=dave,
        visibility=MacroVisibility.EVERYONE,
        set_status=Status.PENDING,
        set_priority=Priority.HIGH,
    )
    chosen_id = chosen.pk
    if gone == "deleted":
        chosen.delete()
    else:
        Macro.objects.filter(pk=chosen_id).update(visibility=MacroVisibility.PERSONAL)
    url = reverse("staff_ticket_reply", args=[ticket.pk])

    response = client_for(bob).post(url, {"body": "My edited text", "mode": "reply", "macro": chosen_id})

    page = response.content.decode()
    assert response.status_code == 200
    assert "no longer shared with you, so its actions cannot be applied" in page
    assert "My edited text</textarea>" in page
    assert not re.search(r'<input type="hidden" name="macro" value="\d', page)
    assert not Comment.objects.exists()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.NEW, Priority.NORMAL)

    client_for(bob).post(url, {"body": "My edited text", "mode": "reply", "macro": ""})
    assert Comment.objects.get().body == "My edited text"


def test_ticket_page_ignores_a_macro_not_shared_with_the_agent(bob, dave, ticket, client_for):
    private = Macro.objects.create(name="Mine", body="Dave's words", owner=dave)

    body = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk]), {"macro": private.pk}).content
    assert b"Dave&#x27;s words" not in body
    assert b"not shared with you" in body


@pytest.mark.parametrize("value", ["abc", "-1", "99999999999999999999999", "1e5", ""])
def test_ticket_page_survives_odd_macro_values(bob, ticket, client_for, value):
    assert client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk]), {"macro": value}).status_code == 200


def selected_assignee(page: str) -> str:
    """What the browser sends for "Assign to": the selected option's value, else the first option's (empty)."""
    select = re.search(r'<select name="set_assignee".*?</select>', page, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)" selected>', select)
    return chosen.group(1) if chosen else ""


@pytest.mark.parametrize(
    "change", [{"is_active": False}, {"is_active": False, "role": Role.REQUESTER}], ids=["deactivated", "requester"]
)
def test_renaming_a_macro_whose_agent_was_deactivated_is_refused_instead_of_dropping_the_agent(
    bob, dave, carol, client_for, change
):
    macro = Macro.objects.create(name="Escalate", body="On it.", owner=bob, set_assignee=dave)
    user_update(user=dave, actor=carol, **change)
    client = client_for(bob)
    why = "Dave Agent is deactivated: tickets can only be assigned to active agents."

    page = client.get(reverse("macro_edit", args=[macro.pk])).content.decode()
    assert why in page  # said before anything is saved
    data = {"name": "Escalate now", "body": "On it.", "visibility": "personal", "set_assignee": selected_assignee(page)}
    response = client.post(reverse("macro_edit", args=[macro.pk]), data)

    assert response.status_code == 200
    assert response.context["form"].errors == {"set_assignee": [why]}
    assert 'value="Escalate now"' in response.content.decode()
    macro.refresh_from_db()
    assert (macro.name, macro.set_assignee) == ("Escalate", dave)


def test_choosing_no_one_for_a_deactivated_agent_saves_the_macro(bob, dave, carol, client_for):
    macro = Macro.objects.create(name="Escalate", body="On it.", owner=bob, set_assignee=dave)
    user_update(user=dave, actor=carol, is_active=False)

    data = {"name": "Escalate now", "body": "On it.", "visibility": "personal", "set_assignee": ""}
    response = client_for(bob).post(reverse("macro_edit", args=[macro.pk]), data)

    assert response.status_code == 302
    macro.refresh_from_db()
    assert (macro.name, macro.set_assignee) == ("Escalate now", None)


def test_an_empty_box_with_a_macro_filled_in_past_the_limit_sends_nothing_and_says_why(bob, ticket, macro, client_for):
    Ticket.objects.filter(pk=ticket.pk).update(subject="s" * 200)
    Macro.objects.filter(pk=macro.pk).update(body="{{ ticket.subject }}" * 3276)  # 655,200 characters filled in

    response = client_for(bob).post(
        reverse("staff_ticket_reply", args=[ticket.pk]), {"body": "", "mode": "reply", "macro": macro.pk}
    )

    assert response.status_code == 200
    assert "filled in holds 655,200 characters, more than a message may hold (65,536)" in response.content.decode()
    assert not Comment.objects.exists()
