from datetime import date, datetime, timedelta

import pytest

from workdays.days import (
    add_workdays,
    first_workday_on_or_after,
    is_workday,
    next_workday,
    workdays_between,
)

# The administrators' table (workdays.models.CalendarDay, tests/notifications/test_calendar_days.py) is read first.
pytestmark = pytest.mark.django_db

FAR_FUTURE = date(2099, 3, 2)  # chinesecalendar has no data for 2099


def test_national_day_2024_and_make_up_days():
    assert not is_workday(date(2024, 10, 1))
    assert not is_workday(date(2024, 10, 7))
    assert is_workday(date(2024, 9, 29))  # Sunday, make-up working day
    assert date(2024, 9, 29).weekday() == 6
    assert is_workday(date(2024, 10, 12))  # Saturday, make-up working day
    assert date(2024, 10, 12).weekday() == 5
    assert not is_workday(date(2024, 9, 28))  # ordinary Saturday


def test_dragon_boat_2024_is_a_holiday():
    assert date(2024, 6, 10).weekday() == 0
    assert not is_workday(date(2024, 6, 10))
    assert is_workday(date(2024, 6, 11))


def test_datetime_accepted():
    assert not is_workday(datetime(2024, 10, 1, 9, 30))
    assert is_workday(datetime(2024, 9, 29, 23, 59))


def test_next_workday():
    assert next_workday(date(2024, 9, 30)) == date(2024, 10, 8)
    assert next_workday(datetime(2024, 9, 30, 18, 0)) == date(2024, 10, 8)
    assert next_workday(date(2024, 9, 27)) == date(2024, 9, 29)  # Fri -> make-up Sunday
    assert next_workday(date(2024, 6, 7)) == date(2024, 6, 11)


def test_first_workday_on_or_after():
    assert first_workday_on_or_after(date(2024, 9, 30)) == date(2024, 9, 30)
    assert first_workday_on_or_after(date(2024, 10, 1)) == date(2024, 10, 8)
    assert first_workday_on_or_after(date(2024, 10, 12)) == date(2024, 10, 12)


def test_workdays_between_across_national_day():
    assert workdays_between(datetime(2024, 9, 30, 18, 0), date(2024, 10, 7)) == 0
    assert workdays_between(datetime(2024, 9, 30, 18, 0), datetime(2024, 10, 8, 9, 0)) == 1
    # 9/29, 9/30, 10/8, 10/9, 10/10, 10/11, 10/12
    assert workdays_between(date(2024, 9, 27), date(2024, 10, 12)) == 7
    assert workdays_between(date(2024, 10, 12), date(2024, 9, 27)) == 0
    assert workdays_between(datetime(2024, 9, 30, 8), datetime(2024, 9, 30, 20)) == 0


def test_add_workdays():
    assert add_workdays(date(2024, 9, 30), 0) == date(2024, 9, 30)
    assert add_workdays(date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert add_workdays(date(2024, 9, 27), 7) == date(2024, 10, 12)
    assert add_workdays(date(2024, 10, 8), -1) == date(2024, 9, 30)
    assert add_workdays(date(2024, 10, 1), 0) == date(2024, 10, 1)


@pytest.mark.parametrize("n", [0, 1, 2, 5, 10, 30])
def test_add_workdays_and_workdays_between_agree(n):
    start = date(2024, 9, 25)
    assert workdays_between(start, add_workdays(start, n)) == n


def test_fallback_to_monday_to_friday_outside_supported_range():
    import chinese_calendar

    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(FAR_FUTURE)
    monday = FAR_FUTURE - timedelta(days=FAR_FUTURE.weekday())
    saturday = monday + timedelta(days=5)
    assert all(is_workday(monday + timedelta(days=i)) for i in range(5))
    assert not is_workday(saturday)
    assert not is_workday(saturday + timedelta(days=1))
    friday = monday + timedelta(days=4)
    assert next_workday(friday) == monday + timedelta(days=7)
    assert workdays_between(friday, monday + timedelta(days=7)) == 1
    assert add_workdays(friday, 5) == monday + timedelta(days=11)
    assert add_workdays(friday, 6) == monday + timedelta(days=14)
    assert first_workday_on_or_after(saturday) == monday + timedelta(days=7)
