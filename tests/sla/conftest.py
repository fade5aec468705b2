"""An office in Berlin open Monday to Friday 9-17, and a policy promising urgent tickets fast answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sla.models import BusinessCalendar, OpeningHours, SlaPolicy, SlaTarget
from tickets.models import Priority, Team

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def refuse(*args: object, **kwargs: object) -> None:
    """Queuing fails as it does when Redis is unreachable: patch a task's `apply_async` with it."""
    raise ConnectionError("broker unreachable")


@pytest.fixture
def office(db: None) -> BusinessCalendar:
    """The default calendar: Berlin, Monday to Friday 9-17, German public holidays."""
    BusinessCalendar.objects.all().delete()
    calendar = BusinessCalendar.objects.create(
        name="Berlin office", time_zone="Europe/Berlin", holiday_country="DE", is_default=True
    )
    OpeningHours.objects.bulk_create(
        OpeningHours(calendar=calendar, weekday=day, opens=time(9), closes=time(17)) for day in range(5)
    )
    return calendar


@pytest.fixture
def policy(office: BusinessCalendar) -> SlaPolicy:
    """Every ticket: urgent 4 h first response, 2 h next response, 16 h resolution; normal 8 / 8 / 40 h."""
    policy = SlaPolicy.objects.create(name="Standard", position=10)
    SlaTarget.objects.create(
        policy=policy,
        priority=Priority.URGENT,
        first_response_minutes=4 * 60,
        next_response_minutes=2 * 60,
        resolution_minutes=16 * 60,
    )
    SlaTarget.objects.create(
        policy=policy,
        priority=Priority.NORMAL,
        first_response_minutes=8 * 60,
        next_response_minutes=8 * 60,
        resolution_minutes=40 * 60,
    )
    return policy


class Clock:
    """Time under the test's control: `clock.to(berlin(...))` moves it; nothing reads the wall clock."""

    def __init__(self, traveller: time_machine.Coordinates) -> None:
        self._traveller = traveller

    def to(self, moment: datetime) -> None:
        self._traveller.move_to(moment)


@pytest.fixture
def clock() -> Iterator[Clock]:
    with time_machine.travel(berlin(2026, 3, 2, 8, 0), tick=False) as traveller:
        yield Clock(traveller)


def calendar_form(calendar: BusinessCalendar, *team_links: Team) -> dict[str, object]:
    form: dict[str, object] = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "holiday_country": calendar.holiday_country,
        "holiday_region": calendar.holiday_region,
        **{f"{name}-TOTAL_FORMS": "0" for name in ("opening_hours", "special_days")},
        **{f"{name}-INITIAL_FORMS": "0" for name in ("opening_hours", "special_days", "team_links")},
        "team_links-TOTAL_FORMS": str(len(team_links)),
    }
    for index, team in enumerate(team_links):
        form[f"team_links-{index}-team"] = team.pk
        form[f"team_links-{index}-calendar"] = calendar.pk or ""  # a calendar being added has no id yet
    return form


def team_link_errors(response: Any) -> list[dict[str, list[str]]]:
    (links,) = (
        inline.formset for inline in response.context["inline_admin_formsets"] if inline.formset.prefix == "team_links"
    )
    return links.errors
