"""Deploy check notifications.W001: next year's holiday calendar is missing (from 1 December)."""

from __future__ import annotations

from django.core import checks
from django.db import DatabaseError
from django.utils import timezone


@checks.register("notifications", deploy=True)
def check_next_year_calendar(app_configs=None, **kwargs):
    from workdays import days

    try:
        year = days.missing_calendar_year(timezone.localdate())
    except DatabaseError:  # no database yet (first deploy before migrate): nothing to say
        return []
    if year is None:
        return []
    return [
        checks.Warning(
            days.missing_calendar_message(year),
            hint="后台 → 工作日历 → 节假日与调休；或升级 chinesecalendar（requirements.in，make lock）。",
            id="notifications.W001",
        )
    ]
