"""Working days in mainland China (statutory holidays and make-up working days).

Backed by ``chinesecalendar``, overridden by the administrators' table
``CalendarDay`` (admin: 节假日与调休): a day in the table is a holiday or a
working day as the table says. For other days of years chinesecalendar has no
data for (it raises ``NotImplementedError``), Monday–Friday are working days.
``missing_calendar_year`` says when next year's calendar is due and missing.
Pass local (Asia/Shanghai) dates or datetimes: a datetime is reduced to its ``.date()``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
from django.core.cache import cache

_ONE_DAY = timedelta(days=1)
# The table is small (a few dozen days a year) and read in loops: all of it is cached, and every
# change to it deletes the cache entry (``workdays.apps``: the model's signals).
OVERRIDES_CACHE_KEY = "targetflow:calendar-days:v1"
OVERRIDES_CACHE_SECONDS = 300


def overrides() -> dict[date, bool]:
    """{date: is a working day} of every ``CalendarDay``."""
    table = cache.get(OVERRIDES_CACHE_KEY)
    if table is None:
        from workdays.models import CalendarDay, DayKind

        table = {day: kind == DayKind.WORKDAY for day, kind in CalendarDay.objects.values_list("date", "kind")}
        cache.set(OVERRIDES_CACHE_KEY, table, OVERRIDES_CACHE_SECONDS)
    return table


def overrides_changed() -> None:
    cache.delete(OVERRIDES_CACHE_KEY)


def library_knows(year: int) -> bool:
    """Does chinesecalendar have the State Council's holidays for ``year``?"""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def table_covers(year: int) -> bool:
    """Has an administrator entered ``year``'s holidays (at least one holiday day in the table)?"""
    from workdays.models import CalendarDay, DayKind

    return CalendarDay.objects.filter(date__year=year, kind=DayKind.HOLIDAY).exists()


def missing_calendar_year(today: date) -> int | None:
    """From 1 December: next year, if neither chinesecalendar nor the table knows its holidays; else None."""
    if today.month != 12:
        return None
    year = today.year + 1
    if library_knows(year) or table_covers(year):
        return None
    return year


def missing_calendar_message(year: int) -> str:
    return (
        f"{year} 年的法定节假日和调休安排尚未录入：chinesecalendar 只有到 {year - 1} 年的数据，"
        f"“节假日与调休”表中也没有 {year} 年的放假日期。不补录时，{year} 年将按周一至周五上班计算"
        "工作日（催办、支出预警的时间会出错）。请在国务院办公厅发布放假通知后，在后台“节假日与调休”中录入"
        f"{year} 年的每个放假日和调休上班日，或升级 chinesecalendar。"
    )


def _as_date(day: date | datetime) -> date:
    return day.date() if isinstance(day, datetime) else day


def is_workday(day: date | datetime, *, table: dict | None = None) -> bool:
    """True if people work on ``day`` (make-up Saturdays/Sundays included). ``table``: ``overrides()`` already read
    (loops over days read it once, not once a day from the cache)."""
    day = _as_date(day)
    table = overrides() if table is None else table
    if day in table:
        return table[day]
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


def workdays_between(start: date | datetime, end: date | datetime, *, table: dict | None = None) -> int:
    """Whole working days elapsed from ``start`` to ``end``.

    Counts the working days in (start's date, end's date]; 0 if ``end`` is not after ``start``.
    ``table``: ``overrides()`` already read, for a caller counting many intervals.
    """
    day, last = _as_date(start), _as_date(end)
    count = 0
    if table is None:
        table = overrides() if day < last else {}
    while day < last:
        day += _ONE_DAY
        if is_workday(day, table=table):
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
