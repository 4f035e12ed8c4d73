"""Working days in mainland China (statutory holidays and make-up working days).

Backed by ``chinesecalendar``; for years it has no data for (it raises
``NotImplementedError``), Monday–Friday are treated as working days.
Pass local (Asia/Shanghai) dates or datetimes: a datetime is reduced to its ``.date()``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar

_ONE_DAY = timedelta(days=1)


def _as_date(day: date | datetime) -> date:
    return day.date() if isinstance(day, datetime) else day


def is_workday(day: date | datetime) -> bool:
    """True if people work on ``day`` (make-up Saturdays/Sundays included)."""
    day = _as_date(day)
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def next_workday(day: date | datetime) -> date:
    """First working day strictly after ``day``."""
    return first_workday_on_or_after(_as_date(day) + _ONE_DAY)


def first_workday_on_or_after(day: date | datetime) -> date:
    """``day`` itself if it is a working day, else the next working day."""
    day = _as_date(day)
    while not is_workday(day):
        day += _ONE_DAY
    return day


def workdays_between(start: date | datetime, end: date | datetime) -> int:
    """Whole working days elapsed from ``start`` to ``end``.

    Counts the working days in (start's date, end's date]; 0 if ``end`` is not after ``start``.
    """
    day, last = _as_date(start), _as_date(end)
    count = 0
    while day < last:
        day += _ONE_DAY
        if is_workday(day):
            count += 1
    return count


def add_workdays(day: date | datetime, n: int) -> date:
    """The date ``n`` working days after ``day`` (before it if ``n`` < 0); ``day`` itself if ``n`` == 0.

    For ``n`` >= 0: ``workdays_between(day, add_workdays(day, n)) == n``.
    """
    current = _as_date(day)
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    remaining = abs(n)
    while remaining:
        current += step
        if is_workday(current):
            remaining -= 1
    return current
