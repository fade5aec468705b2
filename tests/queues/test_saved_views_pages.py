"""Saving the queue's filters as a view, personal or shared with a team, and ordering one's views."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from forms_builder.services import submission_create
from queues.models import SavedView
from queues.services import saved_view_create
from tests.forms_builder.examples import bug_report_form
from tests.queues.conftest import subjects
from tests.queues.test_builtin_views import filter_form_sent
from tests.support.browser import Browser
from tests.support.html import submit_token
from tickets.models import Channel, Team, Ticket
from tickets.services import ticket_create


def save_form_query(page) -> str:
    return html.unescape(re.search(r'name="query" value="([^"]*)"', page.content.decode()).group(1))


def test_an_agent_saves_the_filters_as_a_personal_view(bob, desk, client_for):
    client = client_for(bob)
    page = client.get(reverse("staff_queue"), {"status": ["new", "pending"], "sort": "oldest"})

    response = client.post(reverse("saved_view_create"), {"name": "New and waiting", "query": save_form_query(page)})

    view = SavedView.objects.get()
    assert (view.owner, view.team, view.sort) == (bob, None, "oldest")
    assert view.conditions == {"status": "new,pending"}
    assert response.status_code == 302 and response.url == f"/staff/?view={view.pk}"
    shown = client.get(response.url)
    assert subjects(shown) == ["Mine to answer", "Nobody has it", "Carol has it", "Waiting on customer"]
    assert "Saved the view “New and waiting”." in shown.content.decode()


def test_the_same_save_view_form_sent_twice_saves_one_view(bob, desk, client_for):
    client = client_for(bob)
    page = client.get(reverse("staff_queue"), {"status": ["new"]})
    data = {"name": "New", "query": save_form_query(page), "submit_token": submit_token(page.content.decode())}

    first = client.post(reverse("saved_view_create"), data)
    again = client.post(reverse("saved_view_create"), data)

    view = SavedView.objects.get()
    assert again.url == first.url == f"/staff/?view={view.pk}"
    assert "This view was already saved; it was not saved again." in client.get(again.url).content.decode()


def test_a_view_saved_from_the_default_page_keeps_the_open_statuses(bob, desk, client_for):
    client = client_for(bob)
    page = client.get(reverse("staff_queue"), {"assignee": "none"})

    client.post(reverse("saved_view_create"), {"name": "Up for grabs", "query": save_form_query(page)})

    assert SavedView.objects.get().conditions == {"status": "new,open,pending", "assignee": "none"}


def test_a_view_saved_from_recently_solved_keeps_its_moving_window(bob, desk, client_for):
    client = client_for(bob)
    page = client.get(reverse("staff_queue"), {"view": "solved"})

    client.post(reverse("saved_view_create"), {"name": "Solved lately", "query": save_form_query(page)})

    view = SavedView.objects.get()
    assert subjects(client.get(reverse("staff_queue"), {"view": view.pk})) == ["Fixed yesterday"]
    # Eight days on, "Fixed yesterday" has left the saved view's window, as it has left the built-in view's.
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        assert subjects(client.get(reverse("staff_queue"), {"view": view.pk})) == []
        assert subjects(client.get(reverse("staff_queue"), {"view": "solved"})) == []


def test_a_view_shared_with_a_team_shows_in_members_sidebars_only(bob, dave, erin, team, desk, client_for):
    client = client_for(bob)
    page = client.get(reverse("staff_queue"), {"priority": "high"})
    client.post(reverse("saved_view_create"), {"name": "Hot", "query": save_form_query(page), "team": team.pk})
    view = SavedView.objects.get()

    assert view.team == team
    for_dave = client_for(dave).get(reverse("staff_queue"), {"view": view.pk}).content.decode()
    assert "Hot" in for_dave and "Mine to answer" in for_dave
    assert 'title="Shared with Support by Bob Agent"' in for_dave
    for_erin = client_for(erin).get(reverse("staff_queue"), {"view": view.pk})
    assert "That view does not exist or is not shared with you" in for_erin.content.decode()


def test_an_agent_cannot_share_with_a_team_they_are_not_in(erin, team, desk, client_for):
    response = client_for(erin).post(reverse("saved_view_create"), {"name": "Sneaky", "query": "", "team": team.pk})

    assert response.status_code == 302
    assert not SavedView.objects.exists()


def test_a_view_without_a_name_is_not_saved(bob, desk, client_for):
    response = client_for(bob).post(reverse("saved_view_create"), {"name": " ", "query": "status=new"}, follow=True)

    assert not SavedView.objects.exists()
    assert "The view was not saved" in response.content.decode()


def test_a_view_saved_from_a_visible_view_keeps_that_views_filters(bob, desk, client_for):
    based_on = saved_view_create(owner=bob, name="Hot", conditions={"priority": "high"}, sort="oldest")

    client_for(bob).post(reverse("saved_view_create"), {"name": "Hot again", "query": f"view={based_on.pk}"})

    saved = SavedView.objects.get(name="Hot again")
    assert (saved.conditions, saved.sort) == ({"status": "new,open,pending", "priority": "high"}, "oldest")


@pytest.mark.parametrize("gone", ["deleted", "unshared"])
def test_a_view_saved_from_a_view_gone_since_is_refused_and_saves_nothing(bob, dave, team, desk, client_for, gone):
    based_on = saved_view_create(owner=dave, name="Hot", conditions={"priority": "high"}, team=team)
    query = f"view={based_on.pk}"
    if gone == "deleted":
        based_on.delete()
    else:
        SavedView.objects.filter(pk=based_on.pk).update(team=None)

    response = client_for(bob).post(reverse("saved_view_create"), {"name": "Copy", "query": query}, follow=True)

    assert not SavedView.objects.filter(name="Copy").exists()
    assert (
        "The view was not saved: the view it was based on no longer exists or is not shared with you."
        in response.content.decode()
    )


def test_a_view_with_an_invalid_condition_is_refused_naming_the_filter_and_why(bob, desk, client_for):
    client = client_for(bob)
    page = client.get(reverse("staff_queue"), {"created_after": "yesterday"})

    response = client.post(reverse("saved_view_create"), {"name": "Since", "query": save_form_query(page)}, follow=True)

    refused = "The view was not saved. The view is not valid. created_after: Enter a valid date/time."
    assert not SavedView.objects.exists()
    assert refused in html.unescape(response.content.decode())


def test_an_agent_reorders_their_views_with_up_and_down(bob, desk, client_for):
    first, _, third = (saved_view_create(owner=bob, name=name, conditions={}) for name in ("A", "B", "C"))
    client = client_for(bob)

    client.post(reverse("saved_view_move", args=[third.pk]), {"direction": "up"})
    client.post(reverse("saved_view_move", args=[first.pk]), {"direction": "down"})

    names = list(SavedView.objects.order_by("position").values_list("name", flat=True))
    assert names == ["C", "A", "B"]
    page = client.get(reverse("staff_queue")).content.decode()
    sidebar = re.findall(r'<a href="\?view=\d+"[^>]*><span>([^<]+)</span>', page)
    assert sidebar == names


def test_the_views_page_lists_own_and_shared_views(bob, dave, team, desk, client_for):
    saved_view_create(owner=bob, name="Bob's own", conditions={})
    saved_view_create(owner=dave, name="Dave's shared", conditions={}, team=team)
    saved_view_create(owner=dave, name="Dave's private", conditions={})

    page = client_for(bob).get(reverse("saved_views")).content.decode()

    assert "Bob&#x27;s own" in page and "Dave&#x27;s shared" in page and "Dave&#x27;s private" not in page


def test_an_agent_deletes_their_view(bob, desk, client_for):
    view = saved_view_create(owner=bob, name="Old", conditions={})

    response = client_for(bob).post(reverse("saved_view_delete", args=[view.pk]))

    assert response.status_code == 302
    assert not SavedView.objects.exists()


def test_another_agents_view_cannot_be_moved_or_deleted_even_when_shared(bob, dave, team, desk, client_for):
    view = saved_view_create(owner=dave, name="Dave's", conditions={}, team=team)
    client = client_for(bob)

    assert client.post(reverse("saved_view_delete", args=[view.pk])).status_code == 404
    assert client.post(reverse("saved_view_move", args=[view.pk]), {"direction": "up"}).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_requesters_get_404_on_the_views_pages(mallory, bob, desk, client_for):
    view = saved_view_create(owner=bob, name="Bob's", conditions={})
    client = client_for(mallory)

    assert client.get(reverse("saved_views")).status_code == 404
    assert client.post(reverse("saved_view_create"), {"name": "x", "query": ""}).status_code == 404
    assert client.post(reverse("saved_view_delete", args=[view.pk])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_anonymous_visitors_are_sent_to_login_from_the_views_page(client_for, db):
    response = client_for(None).get(reverse("saved_views"))

    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_saved_view_pages_run_a_bounded_number_of_queries(bob, desk, client_for, django_assert_max_num_queries):
    for number in range(5):
        saved_view_create(owner=bob, name=f"View {number}", conditions={"status": "new"})
    client = client_for(bob)

    with django_assert_max_num_queries(6):
        client.get(reverse("saved_views"))


def _share_options(page) -> list[str]:
    save_form = page.content.decode().split('class="queue-save-form"', 1)[1].split("</form>", 1)[0]
    return re.findall(r"<option [^>]*>([^<]*)</option>", save_form)


def test_the_share_select_lists_the_agents_own_teams_and_every_team_for_an_admin(bob, carol, erin, team, client_for):
    Team.objects.create(name="Elsewhere")
    for_bob = client_for(bob).get(reverse("staff_queue"))
    assert _share_options(for_bob) == ["Only me", "Support"]
    assert _share_options(client_for(erin).get(reverse("staff_queue"))) == ["Only me"]
    assert carol.is_superuser
    assert _share_options(client_for(carol).get(reverse("staff_queue"))) == ["Only me", "Elsewhere", "Support"]


def test_a_view_saved_after_applying_the_form_on_recently_solved_keeps_its_window(bob, desk, client_for):
    client = client_for(bob)
    page = client.get(reverse("staff_queue"), {"view": "solved"})
    applied = client.get(f"{reverse('staff_queue')}?{filter_form_sent(page, sort='oldest')}")

    client.post(reverse("saved_view_create"), {"name": "Solved, oldest first", "query": save_form_query(applied)})

    view = SavedView.objects.get()
    assert (view.conditions, view.sort) == ({"status": "resolved,closed", "updated_within": "7"}, "oldest")
    assert subjects(client.get(reverse("staff_queue"), {"view": view.pk})) == ["Fixed yesterday"]


def test_applying_the_form_on_a_view_with_a_fixed_moment_keeps_it(bob, desk, client_for):
    since = (timezone.now() - timedelta(days=30)).isoformat()
    conditions = {"status": "resolved,closed", "updated_after": since}
    view = saved_view_create(owner=bob, name="This month", conditions=conditions)
    client = client_for(bob)
    page = client.get(reverse("staff_queue"), {"view": view.pk})
    assert subjects(page) == ["Fixed yesterday"]

    applied = client.get(f"{reverse('staff_queue')}?{filter_form_sent(page, sort='oldest')}")

    assert subjects(applied) == ["Fixed yesterday"]
    assert f'name="updated_after" value="{since}"' in applied.content.decode()


def narrowed_desk(condition: str, desk, *, alice, category, carol) -> tuple[dict[str, str], list[str], str]:
    """The `desk` fixture with one ticket set apart by `condition`: the conditions that list only what it keeps of the
    open tickets (newest first), and the line the filter form shows for it."""
    if condition == "requester":
        mallory = desk["unassigned"].requester
        return {"requester": str(mallory.pk)}, ["Nobody has it"], "Requester: Mallory Requester (mallory@example.com)"
    if condition == "form":
        form = bug_report_form(category, admin=carol)
        submission, _token = submission_create(
            form=form, answers={"product": "web", "summary": "Login fails"}, requester=alice, actor=alice
        )
        return {"form": str(form.pk)}, [submission.ticket.subject], "Form: Bug report"
    if condition == "channel":
        Ticket.objects.filter(pk=desk["carols"].pk).update(channel=Channel.EMAIL)
        return {"channel": "email"}, ["Carol has it"], 'value="email" selected>Email</option>'
    Ticket.objects.filter(pk=desk["mine"].pk).update(created_at=timezone.now() - timedelta(days=400))
    since = (timezone.now() - timedelta(days=30)).isoformat()
    return (
        {"created_after": since},
        ["Waiting on customer", "Carol has it", "Nobody has it"],
        f'name="created_after" value="{since}"',
    )


@pytest.mark.parametrize("condition", ["requester", "form", "channel", "created_after"])
@pytest.mark.parametrize("through", ["saved view", "link"])
def test_applying_the_form_with_another_sort_and_saving_keeps_every_condition(
    bob, alice, carol, category, desk, client_for, condition, through
):
    conditions, newest_first, shown = narrowed_desk(condition, desk, alice=alice, category=category, carol=carol)
    client = client_for(bob)
    if through == "saved view":  # as the API saves one (POST /api/v1/views/)
        stored = saved_view_create(owner=bob, name="Narrow", conditions=conditions)
        page = client.get(reverse("staff_queue"), {"view": stored.pk})
    else:
        page = client.get(f"{reverse('staff_queue')}?{urlencode(conditions)}")
    assert subjects(page) == newest_first
    assert shown in page.content.decode()

    applied = client.get(f"{reverse('staff_queue')}?{filter_form_sent(page, sort='oldest')}")

    assert subjects(applied) == newest_first[::-1]
    assert shown in applied.content.decode()
    client.post(reverse("saved_view_create"), {"name": "Kept", "query": save_form_query(applied)})
    view = SavedView.objects.get(name="Kept")
    assert view.conditions == {"status": "new,open,pending", **conditions}
    assert view.sort == "oldest"
    assert subjects(client.get(reverse("staff_queue"), {"view": view.pk})) == newest_first[::-1]


@pytest.mark.parametrize("condition", ["requester", "form"])
def test_an_id_condition_is_dropped_by_unticking_it(bob, alice, carol, category, desk, client_for, condition):
    conditions, _newest_first, _shown = narrowed_desk(condition, desk, alice=alice, category=category, carol=carol)
    client = client_for(bob)
    page = client.get(f"{reverse('staff_queue')}?{urlencode(conditions)}")
    sent = [(name, value) for name, value in parse_qsl(filter_form_sent(page)) if name != condition]

    widened = client.get(f"{reverse('staff_queue')}?{urlencode(sent)}")

    assert len(subjects(widened)) >= 4
    assert f'name="{condition}"' not in widened.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("requester=abc", "requester"),
        ("requester=1.5", "requester"),
        ("form=abc", "form"),
        ("channel=nonsense", "channel"),
        ("created_after=yesterday", "created_after"),
    ],
)
def test_an_invalid_condition_is_a_message_on_the_page_and_lists_no_ticket(bob, desk, client_for, query, field):
    response = client_for(bob).get(f"{reverse('staff_queue')}?{query}")

    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(rf'<ul class="errorlist" id="id_{field}_error"><li>[^<]+</li></ul>', page)
    assert "No tickets match these filters." in page


def test_a_requester_or_form_no_one_has_is_shown_as_such_and_lists_no_ticket(bob, desk, client_for):
    response = client_for(bob).get(reverse("staff_queue"), {"requester": "999999", "form": "999999"})

    page = response.content.decode()
    assert "Requester: #999999 (no such user)" in page
    assert "Form: #999999 (no such form)" in page
    assert "No tickets match these filters." in page


def test_the_requester_and_form_names_take_at_most_one_query(bob, alice, carol, category, desk, client_for):
    form = bug_report_form(category, admin=carol)
    client = client_for(bob)
    with CaptureQueriesContext(connection) as without:
        client.get(reverse("staff_queue"), {"tag": "vip", "sort": "oldest"})
    with CaptureQueriesContext(connection) as named:
        page = client.get(reverse("staff_queue"), {"requester": str(alice.pk), "form": str(form.pk)})

    assert len(named) <= len(without) + 1
    assert "Requester: Alice Requester (alice@example.com)" in page.content.decode()


def test_a_time_without_an_offset_is_in_the_sites_zone_for_every_agent_as_in_the_api(
    bob, alice, category, client_for, api_client_for
):
    # 20:00 UTC on 28 February is already 1 March (01:30) in Kolkata.
    late = ticket_create(requester=alice, subject="Late on the 28th", category=category)
    Ticket.objects.filter(pk=late.pk).update(created_at="2026-02-28T20:00:00Z")
    User.objects.filter(pk=bob.pk).update(time_zone="Asia/Kolkata")
    view = saved_view_create(owner=bob, name="March", conditions={"created_after": "2026-03-01T00:00:00"})

    page = client_for(bob).get(reverse("staff_queue"), {"view": view.pk})
    api = api_client_for(bob).get("/api/v1/tickets/", {"created_after": "2026-03-01T00:00:00"}).json()["results"]

    assert api == []
    assert "Late on the 28th" not in subjects(page)


def test_the_views_page_on_a_phone_does_not_scroll_sideways(browser: Browser, bob):
    saved_view_create(owner=bob, name="Walk view", conditions={"priority": "high"})
    browser.resize(390, 800)
    browser.log_in(bob)
    browser.open(reverse("saved_views"))

    assert browser.find_all("table")
    assert browser.page_width() <= 390
