"""Property-based tests of business time: any schedule, any time zone, any moment, weekends, holidays, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sla.business_time import (
    Schedule,
    add_business_time,
    business_time_between,
    merged,
    next_open_moment,
    open_intervals,
)

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"]
COUNTRIES = [("", ""), ("DE", "BY"), ("US", "CA"), ("GB", ""), ("JP", "")]

MINIMUM_WEEKLY_MINUTES = 4 * 60
minutes = st.integers(min_value=0, max_value=24 * 60)
day_ranges = st.lists(st.tuples(minutes, minutes).map(sorted).map(tuple), max_size=3).map(merged)


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    weekly = draw(st.lists(day_ranges, min_size=7, max_size=7))
    if sum(closes - opens for day in weekly for opens, closes in day) < MINIMUM_WEEKLY_MINUTES:
        # A week with a few minutes open cannot hold 300 hours within SEARCH_DAYS: that calendar never comes due
        # (tested in test_services.py), so the round trips here draw calendars that can.
        weekly[draw(st.integers(0, 6))] = ((9 * 60, 17 * 60),)
    special = draw(
        st.dictionaries(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), day_ranges, max_size=20)
    )
    country, region = draw(st.sampled_from(COUNTRIES))
    return Schedule(
        time_zone=ZoneInfo(draw(st.sampled_from(ZONES))),
        weekly=tuple(weekly),
        special_days=special,
        holiday_country=country,
        holiday_region=region,
    )


moments = st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC))
durations = st.integers(min_value=0, max_value=300 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(schedules(), moments, durations)
def test_time_added_is_exactly_the_time_measured_back(schedule, start, duration):
    due = add_business_time(schedule, start, duration)
    assert due >= start
    assert business_time_between(schedule, start, due) == duration


@settings(max_examples=200, deadline=None)
@given(schedules(), moments, durations, durations)
def test_adding_in_two_steps_is_adding_once(schedule, start, first, second):
    assert add_business_time(schedule, add_business_time(schedule, start, first), second) == add_business_time(
        schedule, start, first + second
    )


@settings(max_examples=200, deadline=None)
@given(
    schedules(),
    moments,
    st.timedeltas(timedelta(0), timedelta(days=20)),
    st.timedeltas(timedelta(0), timedelta(days=20)),
)
def test_time_between_adds_up_and_never_exceeds_the_wall_clock(schedule, start, first, second):
    middle, end = start + first, start + first + second
    whole = business_time_between(schedule, start, end)
    assert whole == business_time_between(schedule, start, middle) + business_time_between(schedule, middle, end)
    assert timedelta(0) <= whole <= end - start


@settings(max_examples=200, deadline=None)
@given(schedules(), moments, st.integers(min_value=1, max_value=300 * 60))
def test_a_due_time_falls_inside_opening_hours(schedule, start, minutes_to_add):
    due = add_business_time(schedule, start, timedelta(minutes=minutes_to_add))
    just_before = due - timedelta(microseconds=1)
    assert business_time_between(schedule, just_before, due) == timedelta(microseconds=1)


@settings(max_examples=200, deadline=None)
@given(schedules(), moments)
def test_the_next_opening_is_where_open_time_starts(schedule, moment):
    opening = next_open_moment(schedule, moment)
    assert opening >= moment
    assert business_time_between(schedule, moment, opening) == timedelta(0)
    assert add_business_time(schedule, moment, timedelta(minutes=1)) == add_business_time(
        schedule, opening, timedelta(minutes=1)
    )


@settings(max_examples=100, deadline=None)
@given(schedules(), moments)
def test_no_open_time_is_counted_on_a_public_or_custom_holiday(schedule, moment):
    day = moment.astimezone(schedule.time_zone).date()
    if schedule.ranges_on(day):
        return
    zone = schedule.time_zone
    day_start = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    day_end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    # Only ranges of the day before may reach into it (none do: a range ends by midnight).
    assert business_time_between(schedule, day_start, day_end) == timedelta(0)


@settings(max_examples=100, deadline=None)
@given(schedules(), moments)
def test_open_intervals_are_ordered_and_do_not_overlap(schedule, moment):
    previous_end = moment
    for count, (opens, closes) in enumerate(open_intervals(schedule, moment)):
        assert previous_end <= opens < closes
        previous_end = closes
        if count > 50:
            break
