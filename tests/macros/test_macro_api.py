"""GET/POST /api/v1/macros/ (+ detail) and POST /api/v1/tickets/{id}/apply-macro/."""

from __future__ import annotations

import pytest

from accounts.models import Role
from accounts.services import user_create, user_update
from macros.models import Macro
from tests.support.api import assert_error_body
from tickets.models import BODY_MAX_CHARS, Comment, Priority, Status, Team, TicketEvent


@pytest.fixture
def dave(db):
    return user_create(email="dave@example.com", password="x" * 12, name="Dave Agent", role=Role.AGENT)


def test_agent_creates_and_lists_macros(bob, api_client_for):
    client = api_client_for(bob)

    created = client.post(
        "/api/v1/macros/",
        {"name": "Close", "body": "Bye {{ requester.name }}", "set_status": "resolved", "set_priority": "low"},
        format="json",
    )

    assert created.status_code == 201, created.content
    assert created.json()["owner"] == bob.pk
    assert created.json()["set_priority"] == "low"
    listed = client.get("/api/v1/macros/").json()["results"]
    assert [row["name"] for row in listed] == ["Close"]


def test_api_refuses_an_unknown_placeholder(bob, api_client_for):
    response = api_client_for(bob).post("/api/v1/macros/", {"name": "x", "body": "{{ ticket.x }}"}, format="json")

    assert response.status_code == 400
    assert "body" in response.json()["error"]["details"]


def test_list_filters_by_words_in_the_name(bob, api_client_for):
    Macro.objects.create(name="Refund approved", body="x", owner=bob)
    Macro.objects.create(name="Reset password", body="x", owner=bob)

    rows = api_client_for(bob).get("/api/v1/macros/", {"q": "refund"}).json()["results"]

    assert [row["name"] for row in rows] == ["Refund approved"]


def test_only_the_owner_or_an_admin_changes_a_shared_macro(dave, carol, macro, api_client_for):
    assert api_client_for(dave).patch(f"/api/v1/macros/{macro.pk}/", {"name": "x"}, format="json").status_code == 403
    assert api_client_for(dave).delete(f"/api/v1/macros/{macro.pk}/").status_code == 403
    assert api_client_for(carol).patch(f"/api/v1/macros/{macro.pk}/", {"name": "y"}, format="json").status_code == 200


def test_someone_elses_personal_macro_is_404(bob, dave, api_client_for):
    private = Macro.objects.create(name="Mine", body="x", owner=dave)

    assert api_client_for(bob).get(f"/api/v1/macros/{private.pk}/").status_code == 404


def test_requesters_may_not_use_the_macro_api(mallory, alice, ticket, macro, api_client_for):
    for user in (mallory, alice):
        client = api_client_for(user)
        assert client.get("/api/v1/macros/").status_code == 403
        assert (
            client.post(f"/api/v1/tickets/{ticket.pk}/apply-macro/", {"macro": macro.pk}, format="json").status_code
            == 403
        )


def test_apply_macro_posts_the_reply_and_applies_the_actions(bob, ticket, macro, api_client_for):
    response = api_client_for(bob).post(f"/api/v1/tickets/{ticket.pk}/apply-macro/", {"macro": macro.pk}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == Status.PENDING
    ticket.refresh_from_db()
    assert ticket.comments.get().body.startswith("Hi Alice")
    assert ticket.assignee == bob


def test_apply_a_macro_not_shared_with_you_is_refused(bob, dave, ticket, api_client_for):
    private = Macro.objects.create(name="Mine", body="x", owner=dave)

    response = api_client_for(bob).post(
        f"/api/v1/tickets/{ticket.pk}/apply-macro/", {"macro": private.pk}, format="json"
    )

    assert response.status_code == 400
    assert not ticket.comments.exists()


def test_apply_macro_on_a_missing_ticket_is_404(bob, macro, api_client_for):
    assert (
        api_client_for(bob).post("/api/v1/tickets/999999/apply-macro/", {"macro": macro.pk}, format="json").status_code
        == 404
    )


@pytest.mark.parametrize("value", [0, -1, 2**64, "abc", None, [1]])
def test_apply_macro_refuses_odd_macro_ids(bob, ticket, api_client_for, value):
    response = api_client_for(bob).post(f"/api/v1/tickets/{ticket.pk}/apply-macro/", {"macro": value}, format="json")

    assert response.status_code == 400


def test_apply_a_macro_whose_team_was_deleted_says_nothing_changed(bob, ticket, api_client_for):
    escalations = Team.objects.create(name="Escalations")
    macro = Macro.objects.create(name="Escalate", body="", owner=bob, set_team=escalations)
    escalations.delete()

    response = api_client_for(bob).post(f"/api/v1/tickets/{ticket.pk}/apply-macro/", {"macro": macro.pk}, format="json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["message"].startswith("Nothing changed: macro “Escalate” has no text and no actions left")
    assert list(error["details"]) == ["macro"]


def test_apply_a_macro_whose_actions_the_ticket_already_has_answers_200_saying_nothing_changed(
    bob, ticket, api_client_for
):
    """Not an error (the ticket is as the macro would leave it: a retry after a lost answer finds it so), but not
    201 either: nothing was created or changed, and the answer says so."""
    ticket.priority = Priority.HIGH
    ticket.save()
    macro = Macro.objects.create(name="Raise", body="", owner=bob, set_priority=Priority.HIGH)
    events_before = TicketEvent.objects.filter(ticket=ticket).count()

    response = api_client_for(bob).post(f"/api/v1/tickets/{ticket.pk}/apply-macro/", {"macro": macro.pk}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "comment": None,
        "ticket": ticket.pk,
        "status": Status.NEW,
        "changed": False,
        "message": "Nothing changed: the ticket already has everything macro “Raise” sets.",
    }
    assert TicketEvent.objects.filter(ticket=ticket).count() == events_before


def test_apply_a_macro_that_changes_the_ticket_says_so(bob, ticket, macro, api_client_for):
    response = api_client_for(bob).post(f"/api/v1/tickets/{ticket.pk}/apply-macro/", {"macro": macro.pk}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["changed"] is True
    assert response.json()["message"] == "Macro “Need more info” applied."


def test_apply_a_macro_assigning_a_deactivated_agent_says_who_and_why(bob, dave, ticket, macro, api_client_for):
    macro.assign_to_me = False
    macro.set_assignee = dave
    macro.save()
    user_update(user=dave, is_active=False)

    response = api_client_for(bob).post(f"/api/v1/tickets/{ticket.pk}/apply-macro/", {"macro": macro.pk}, format="json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["message"].startswith("Dave Agent is deactivated; the ticket was not assigned.")
    assert error["details"] == {"macro": [error["message"]]}
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.NEW, None)
    assert not ticket.comments.exists()


def test_a_macro_text_longer_than_the_limit_is_refused(bob, api_client_for):
    response = api_client_for(bob).post(
        "/api/v1/macros/", {"name": "Long", "body": "x" * (BODY_MAX_CHARS + 1)}, format="json"
    )

    error = assert_error_body(response, 400, "invalid")
    assert error["details"]["body"] == ["Ensure this field has no more than 65536 characters."]
    assert not Macro.objects.filter(name="Long").exists()


def test_applying_a_macro_with_an_edited_text_longer_than_the_limit_is_refused(bob, ticket, macro, api_client_for):
    response = api_client_for(bob).post(
        f"/api/v1/tickets/{ticket.pk}/apply-macro/",
        {"macro": macro.pk, "body": "x" * (BODY_MAX_CHARS + 1)},
        format="json",
    )

    error = assert_error_body(response, 400, "invalid")
    assert error["details"]["body"] == ["Ensure this field has no more than 65536 characters."]
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_renaming_a_macro_whose_agent_was_deactivated_says_who_and_why_as_the_page(bob, dave, macro, api_client_for):
    macro.assign_to_me = False
    macro.set_assignee = dave
    macro.save()
    user_update(user=dave, is_active=False)

    response = api_client_for(bob).patch(f"/api/v1/macros/{macro.pk}/", {"name": "Renamed"}, format="json")

    assert response.status_code == 400, response.content
    why = "Dave Agent is deactivated: tickets can only be assigned to active agents."
    assert response.json()["error"]["details"] == {"set_assignee": [why]}
    macro.refresh_from_db()
    assert (macro.name, macro.set_assignee) == ("Need more info", dave)


def test_applying_a_macro_whose_placeholders_fill_it_past_the_limit_is_refused(bob, ticket, macro, api_client_for):
    ticket.subject = "s" * 200
    ticket.save(update_fields=["subject"])
    macro.body = "{{ ticket.subject }}" * (BODY_MAX_CHARS // len("{{ ticket.subject }}"))  # some 655,000 filled in
    macro.save(update_fields=["body"])

    response = api_client_for(bob).post(f"/api/v1/tickets/{ticket.pk}/apply-macro/", {"macro": macro.pk}, format="json")

    error = assert_error_body(response, 400, "invalid")
    assert error["details"]["body"] == [
        "Macro “Need more info” filled in holds 655,200 characters, more than a message may hold (65,536): "
        "shorten it before sending."
    ]
    assert not Comment.objects.filter(ticket=ticket).exists()
    ticket.refresh_from_db()
    assert ticket.assignee is None
