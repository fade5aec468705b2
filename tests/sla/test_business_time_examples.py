"""Business time on dates a person can check by hand: weekends, public holidays, half days, DST, other zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sla.business_time import (
    ALWAYS_OPEN,
    Schedule,
    add_business_time,
    business_time_between,
    next_open_moment,
    open_intervals,
)

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = ((9 * 60, 17 * 60),)
WEEKDAYS_NINE_TO_FIVE = (NINE_TO_FIVE,) * 5 + ((), ())


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_four_business_hours_from_friday_half_past_four_end_on_monday_at_half_past_twelve():
    # 30 minutes on Friday, 3 h 30 on Monday. The week-end of 28-29 March 2026 also moves the clocks forward.
    schedule = Schedule(time_zone=BERLIN, weekly=WEEKDAYS_NINE_TO_FIVE)
    due = add_business_time(schedule, berlin(2026, 3, 27, 16, 30), timedelta(hours=4))
    assert due == berlin(2026, 3, 30, 12, 30)
    assert due.astimezone(BERLIN).utcoffset() == timedelta(hours=2)  # summer time by then


def test_a_public_holiday_is_skipped_not_counted_zammad_390():
    # Good Friday (3 April 2026) and Easter Monday (6 April) are German public holidays.
    schedule = Schedule(time_zone=BERLIN, weekly=WEEKDAYS_NINE_TO_FIVE, holiday_country="DE")
    due = add_business_time(schedule, berlin(2026, 4, 2, 16, 0), timedelta(hours=4))
    assert due == berlin(2026, 4, 7, 12, 0)
    assert business_time_between(schedule, berlin(2026, 4, 2, 17, 0), berlin(2026, 4, 7, 9, 0)) == timedelta(0)


def test_a_regional_holiday_counts_only_in_its_region():
    # Epiphany (6 January) is a holiday in Bavaria, not in Berlin.
    bavaria = Schedule(time_zone=BERLIN, weekly=WEEKDAYS_NINE_TO_FIVE, holiday_country="DE", holiday_region="BY")
    berlin_state = Schedule(time_zone=BERLIN, weekly=WEEKDAYS_NINE_TO_FIVE, holiday_country="DE", holiday_region="BE")
    epiphany = (berlin(2026, 1, 6, 0, 0), berlin(2026, 1, 7, 0, 0))
    assert business_time_between(bavaria, *epiphany) == timedelta(0)
    assert business_time_between(berlin_state, *epiphany) == timedelta(hours=8)


def test_custom_closures_and_half_days_replace_the_weekly_hours():
    schedule = Schedule(
        time_zone=BERLIN,
        weekly=WEEKDAYS_NINE_TO_FIVE,
        special_days={date(2026, 12, 24): ((9 * 60, 12 * 60),), date(2026, 12, 28): ()},
        holiday_country="DE",
    )
    # One hour on Christmas Eve's half day; the 25th and 26th are public holidays, the 28th a custom closure.
    assert add_business_time(schedule, berlin(2026, 12, 24, 11, 0), timedelta(hours=2)) == berlin(2026, 12, 29, 10, 0)


def test_several_ranges_a_day_leave_the_lunch_break_out():
    schedule = Schedule(time_zone=BERLIN, weekly=(((8 * 60, 12 * 60), (13 * 60, 17 * 60)),) * 7)
    assert add_business_time(schedule, berlin(2026, 5, 5, 11, 0), timedelta(hours=2)) == berlin(2026, 5, 5, 14, 0)


def test_a_day_open_around_the_clock_lasts_23_hours_when_summer_time_begins():
    schedule = Schedule(time_zone=BERLIN, weekly=(((0, 24 * 60),),) * 7)
    assert business_time_between(schedule, berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0)) == timedelta(hours=23)
    assert business_time_between(schedule, berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 26, 0, 0)) == timedelta(
        hours=25
    )


def test_hours_ending_in_the_skipped_hour_end_when_the_clocks_jump():
    # 29 March 2026, Berlin: at 02:00 (01:00 UTC) the clocks jump to 03:00. Open 00:00-02:30 and 03:00-05:00 (Sunday).
    schedule = Schedule(time_zone=BERLIN, weekly=((),) * 6 + (((0, 150), (180, 300)),))
    midnight, jump = berlin(2026, 3, 29, 0, 0), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert list(open_intervals(schedule, midnight, berlin(2026, 3, 29, 6, 0))) == [
        (midnight, jump),
        (jump, berlin(2026, 3, 29, 5, 0)),
    ]
    # Two hours to the jump and two after it: the half hour the clock skipped is not open time, nor counted twice.
    assert business_time_between(schedule, midnight, berlin(2026, 3, 30, 0, 0)) == timedelta(hours=4)


def test_hours_inside_the_skipped_hour_are_no_open_time():
    schedule = Schedule(time_zone=BERLIN, weekly=((),) * 6 + (((135, 165),),))  # Sundays 02:15-02:45
    assert business_time_between(schedule, berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0)) == timedelta(0)
    assert business_time_between(schedule, berlin(2026, 4, 5, 0, 0), berlin(2026, 4, 6, 0, 0)) == timedelta(minutes=30)


def test_a_calendar_in_another_zone_opens_at_its_own_nine_oclock():
    tokyo = Schedule(time_zone=ZoneInfo("Asia/Tokyo"), weekly=WEEKDAYS_NINE_TO_FIVE)
    # Monday 00:00 UTC is 09:00 in Tokyo.
    monday = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    assert next_open_moment(tokyo, datetime(2026, 5, 30, 12, 0, tzinfo=UTC)) == monday
    assert add_business_time(tokyo, monday, timedelta(hours=8, minutes=1)) == datetime(2026, 6, 2, 0, 1, tzinfo=UTC)


def test_around_the_clock_is_plain_elapsed_time():
    start = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    assert add_business_time(ALWAYS_OPEN, start, timedelta(hours=30)) == start + timedelta(hours=30)
    assert ALWAYS_OPEN.always_open
    assert not Schedule(time_zone=BERLIN, weekly=WEEKDAYS_NINE_TO_FIVE).always_open
