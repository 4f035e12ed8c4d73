"""Which reminders, warnings and nudges are due: reads only (``services`` writes the notifications).

Spending checkpoints, for each published sheet and each checkpoint of its year:
- 7 days and 1 day before the checkpoint: remind the section's staff to report
  (unless they already did);
- on the first working day after it: if there is no report or the actual % is
  below the plan, warn the staff and the section heads (yellow: up to 10 points
  behind; red: more, which also goes to the agency's leaders); the agency's
  finance reviewers get one digest listing every warned sheet.

Nudges: a review task waiting more than ``NUDGE_AFTER_WORKDAYS`` working days
goes to its reviewers; waiting more than twice as long, also to the agency's leaders.

Every item carries a dedupe key, so running a day twice writes nothing new.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from notifications import messages, selectors
from notifications.messages import Message
from notifications.models import Kind
from notifications.workdays import next_workday, workdays_between
from projects.models import Checkpoint, SheetState, TargetSheet
from projects.values import format_number
from people.roles import Role
from spending import services as spending
from workflow import approval

REMINDER_DAYS_BEFORE = (7, 1)
# a checkpoint's first working day after it is at most this far away (the longest holiday is 8 days)
WARNING_LOOKBACK = datetime.timedelta(days=20)


@dataclass
class Due:
    kind: str
    summary: str  # one line for the run_reminders output
    recipients: list
    message: Message
    dedupe_key: str


def spending_due_on(day: datetime.date) -> list[Due]:
    """Reminders, warnings and finance digests due on ``day`` (a local date)."""
    return _reminders(day) + _warnings(day)


def _reminders(day: datetime.date) -> list[Due]:
    due = []
    for days_left in REMINDER_DAYS_BEFORE:
        for checkpoint in Checkpoint.objects.filter(date=day + datetime.timedelta(days=days_left)):
            for sheet in spending.published_sheets(fiscal_year=checkpoint.fiscal_year_id):
                if any(r.checkpoint_id == checkpoint.pk for r in sheet.spend_reports.all()):
                    continue  # already reported for this checkpoint
                planned = spending.planned_percent(sheet, checkpoint)
                due.append(Due(
                    kind=Kind.SPEND_REMINDER,
                    summary=f"填报提醒（还有 {days_left} 天）：{_sheet(sheet)} {checkpoint.label}",
                    recipients=selectors.holders(Role.STAFF, sheet),
                    message=messages.for_spend_reminder(sheet, checkpoint, planned=planned, days_left=days_left),
                    dedupe_key=f"spend-reminder:{sheet.pk}:{checkpoint.pk}:{days_left}",
                ))
    return due


def _warnings(day: datetime.date) -> list[Due]:
    due = []
    checkpoints = Checkpoint.objects.filter(date__lt=day, date__gte=day - WARNING_LOOKBACK).order_by("date")
    for checkpoint in checkpoints:
        if next_workday(checkpoint.date) != day:
            continue
        by_agency: dict[int, tuple[object, list]] = {}
        for sheet in spending.published_sheets(fiscal_year=checkpoint.fiscal_year_id):
            report = next((r for r in sheet.spend_reports.all() if r.checkpoint_id == checkpoint.pk), None)
            point = spending.checkpoint_spend(sheet, checkpoint, report, today=day)
            if point.level not in (spending.YELLOW, spending.RED):
                continue
            recipients = selectors.holders(Role.STAFF, sheet) + selectors.holders(Role.SECTION_HEAD, sheet)
            if point.level == spending.RED:
                recipients += selectors.holders(Role.LEADER, sheet)
            state = "未填报" if point.actual is None else f"实际 {format_number(point.actual)}%"
            due.append(Due(
                kind=Kind.SPEND_WARNING,
                summary=(
                    f"{spending.LEVEL_LABELS[point.level]}：{_sheet(sheet)} {checkpoint.label} "
                    f"计划 {format_number(point.planned)}%，{state}"
                ),
                recipients=recipients,
                message=messages.for_spend_warning(
                    sheet, checkpoint, planned=point.planned, actual=point.actual, behind=point.behind, level=point.level
                ),
                dedupe_key=f"spend-warning:{sheet.pk}:{checkpoint.pk}",
            ))
            by_agency.setdefault(sheet.agency_id, (sheet.agency, []))[1].append(
                (sheet, point.planned, point.actual, point.level)
            )
        for agency, warned in by_agency.values():
            due.append(Due(
                kind=Kind.SPEND_DIGEST,
                summary=f"预警汇总：{agency.unit_line} {checkpoint.label} 共 {len(warned)} 张",
                recipients=list(approval.roles.users_with_role(Role.FINANCE_REVIEWER, agency)),
                message=messages.for_spend_digest(agency, checkpoint, warned),
                dedupe_key=f"spend-digest:{agency.pk}:{checkpoint.pk}",
            ))
    return due


def nudges_due(now: datetime.datetime | None = None) -> list[Due]:
    """催办 due at ``now``: one per waiting review task and level (1: reviewers; 2: reviewers and leaders)."""
    today = timezone.localdate(now or timezone.now())
    after = settings.NUDGE_AFTER_WORKDAYS
    due = []
    sheets = TargetSheet.objects.filter(state__in=approval.REVIEW_STATES, state_since__isnull=False).select_related(
        "project", "agency", "section", "assignee"
    )
    for sheet in sheets.order_by("agency__code", "position", "id"):
        waited = workdays_between(timezone.localtime(sheet.state_since), today)
        if waited <= after:
            continue
        level = 2 if waited > 2 * after else 1
        recipients = selectors.task_reviewers(sheet)
        if level == 2:
            recipients += selectors.holders(Role.LEADER, sheet)
        due.append(Due(
            kind=Kind.NUDGE,
            summary=f"{'再次催办' if level == 2 else '催办'}：{_sheet(sheet)} 已在“{sheet.get_state_display()}”等待 {waited} 个工作日",
            recipients=recipients,
            message=messages.for_nudge(sheet, workdays=waited, since=sheet.state_since, level=level),
            dedupe_key=f"nudge:{sheet.pk}:{sheet.state}:{sheet.state_since:%Y%m%d%H%M%S%f}:{level}",
        ))
    return due


def _sheet(sheet) -> str:
    return f"“{sheet.display_title}”（{sheet.project.code}）"
