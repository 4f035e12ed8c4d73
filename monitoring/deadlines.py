"""A rule pack's dates on the working-day calendar: when a warning is issued, when 处置 and its proposal are due.

Working days come from the project's calendar (statutory holidays and 调休 make-up days, overridden by the
administrators' 节假日与调休 table): ``workdays.days``.

Sources: 四川 [2nd] — warnings issued on the 1st of the month after the monitoring month, 处置 within 10 working
days, a proposal within 15 working days; today's default [F: the product] — warnings on the first working day after
the checkpoint (``notifications.reminders``).
"""

from __future__ import annotations

import datetime

from workdays.days import add_workdays, next_workday

from monitoring import packs


def warning_date(pack, point_date: datetime.date, report_by: datetime.date | None = None) -> datetime.date:
    """The day a point's warnings go out: the first working day after it, or the 1st of the next month (四川, even a
    holiday: 2024-05-01). With ``report_by`` (the point's report deadline) later than the point, counted from the
    deadline instead: 河北 reports the June point by the end of July, so nobody is warned for a report not yet due
    (our reading, [U]; the shipped packs other than 河北's report on the point's own day)."""
    base = max(point_date, report_by) if report_by is not None else point_date
    if pack.warning_timing == packs.WARNING_NEXT_MONTH:
        return (base.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return next_workday(base)


def disposal_deadline(pack, *, warned_on: datetime.date) -> datetime.date | None:
    """The last day to choose a 处置 option: ``pack.disposal_workdays`` working days after the warning (四川: warned
    2024-05-01, 10 working days → 2024-05-16, the 劳动节 holiday skipped and the 调休 Saturday 05-11 counted);
    None when the pack has no 处置."""
    if not pack.disposal_workdays:
        return None
    return add_workdays(warned_on, pack.disposal_workdays)


def proposal_deadline(pack, *, decided_on: datetime.date) -> datetime.date | None:
    """The last day for the proposal a 调剂 or 取消 decision asks for (四川: 15 working days); None without one."""
    if not pack.proposal_workdays:
        return None
    return add_workdays(decided_on, pack.proposal_workdays)
