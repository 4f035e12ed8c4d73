"""Which spending reminders and warnings and which 处置 notices are due: reads only (``reminder_writes`` writes the
notifications). The self-evaluations' deadlines are ``evaluation_dues``, the nudges ``nudges``, what they share
``dues``.

Spending checkpoints, for each published sheet and each checkpoint of its year:
- 7 days and 1 day before the checkpoint (before its report deadline in the year's pack when that is later: 河北's
  June point is reported by the end of July): remind the section's staff to report (unless they already did);
- on the day the year's rule pack issues its warnings (today's rule: the first working day after it; 四川: the 1st
  of the next month), at each point the pack monitors: if the pack's spending rule grades the sheet yellow or red
  (today's rule: no report or the actual % below the plan, yellow up to 10 points behind, red more; 四川: below
  the point's line 25/40/60/80%), warn the staff and the section heads (red also the agency's leaders); the
  agency's finance reviewers get one digest listing every warned sheet.

Every item carries a dedupe key, so running a day twice writes nothing new.

A province has 100,000 published sheets: the sheets, plans, reports and role holders are read as tuples in a
fixed number of queries (no model object per sheet), each text is filled into one template per checkpoint
(``messages.SpendReminderText`` …), and ``services`` writes every row in one statement.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Exists, OuterRef

from notifications import messages
from notifications.dues import REMINDER_DAYS_BEFORE, Due, Holders
from notifications.evaluation_dues import evaluation_due_on
from notifications.models import Kind
from workdays.days import next_workday
from core.errors import AppError
from monitoring import deadlines as monitoring_deadlines, packs as monitoring_packs, selectors as monitoring_selectors
from monitoring import spend_rules
from projects.models import Checkpoint, SheetState, SpendPlan, TargetSheet
from projects.values import format_number
from people.roles import Role
from spending import services as spending
from spending.models import SpendReport

# a checkpoint's warning day is at most this far after it: the first working day after it, or after its report
# deadline in the year's pack (河北: the June point reported by the end of July)
POINT_WARNING_LOOKBACK = datetime.timedelta(days=75)
# the daily job also sends what was due on this many days before today and was missed (beat or the worker down)
CATCH_UP_DAYS = 7




def spending_due_on(day: datetime.date, *, today: datetime.date | None = None) -> list[Due]:
    """Reminders, warnings and finance digests due on ``day`` (a local date).

    ``today`` (default ``day``) is when they are sent: a day caught up later reads the reports
    and the days left as of ``today``, and skips reminders a later one has overtaken.
    """
    today = today or day
    years: dict = {}  # each year's pack, read once for the day's reminders and warnings
    return _reminders(day, today, years) + _warnings(day, today, years)


def due_on(day: datetime.date, *, today: datetime.date | None = None) -> list[Due]:
    """Everything the daily job sends for ``day``: the spending checkpoints' and the self-evaluations' deadlines'."""
    return spending_due_on(day, today=today) + evaluation_due_on(day, today=today)


def spending_due_since(today: datetime.date, *, days: int = CATCH_UP_DAYS, of=None) -> list[Due]:
    """What was due on ``today`` and on each of the ``days - 1`` days before it (the dedupe keys skip what was sent);
    ``of``: the reads of one day (default ``spending_due_on``; ``due_on`` for all the daily notices)."""
    of = of or spending_due_on
    due: dict[str, Due] = {}
    for back in range(days - 1, -1, -1):
        for item in of(today - datetime.timedelta(days=back), today=today):
            due.setdefault(item.dedupe_key, item)
    return list(due.values())


def _report_dues(first: datetime.date, last: datetime.date, years: dict) -> list[tuple]:
    """(checkpoint, the day its report is due) of the reports due between ``first`` and ``last``: the checkpoint's
    own day, or its report deadline in the year's pack when later (河北: the June point by the end of July)."""
    found = []
    near = Checkpoint.objects.filter(date__lte=last, date__gte=first - POINT_WARNING_LOOKBACK).select_related("fiscal_year")
    for checkpoint in near.order_by("date"):
        year = checkpoint.fiscal_year.year
        if year not in years:
            years[year] = _year_pack(year)
        _rule, point = years[year][1].get(checkpoint.date, (None, None))
        due = max(checkpoint.date, point.report_by) if point is not None else checkpoint.date
        if first <= due <= last:
            found.append((checkpoint, due))
    return found


def _reminders(day: datetime.date, today: datetime.date, years: dict) -> list[Due]:
    work = []
    by_day = {day + datetime.timedelta(days=days_left): days_left for days_left in REMINDER_DAYS_BEFORE}
    for checkpoint, report_due in _report_dues(min(by_day), max(by_day), years):
        days_left = by_day.get(report_due)
        if days_left is None:
            continue
        if report_due < today:
            continue  # caught up too late: the report's day passed, its warning tells the rest
        if any(d < days_left and report_due - datetime.timedelta(days=d) <= today for d in REMINDER_DAYS_BEFORE):
            continue  # a later reminder for the same checkpoint is due by now: send that one only
        work.append((days_left, checkpoint, report_due, *_unreported(checkpoint)))
    holders = Holders({Role.STAFF: {section_id for _, _, _, sheets, _ in work for _, section_id in sheets} - {None}})
    due = []
    for days_left, checkpoint, report_due, sheets, plans in work:
        left = (report_due - today).days
        text = messages.SpendReminderText(checkpoint, days_left=left, due=report_due)
        label, default = checkpoint.label, checkpoint.planned_percent
        for sheet, section_id in sheets:
            title, body, url = text(sheet, plans.get(sheet.pk, default))  # spending.planned_percent, read in one query
            due.append(Due(
                Kind.SPEND_REMINDER, f"填报提醒（还有 {left} 天）：“{sheet.title}”（{sheet.code}） {label}",
                holders.shared(Role.STAFF, section_id), title, body, url, "sheet", sheet.pk,
                f"spend-reminder:{sheet.pk}:{checkpoint.pk}:{days_left}",
            ))
    return due


def _unreported(checkpoint) -> tuple[list, dict]:
    """The published sheets of the checkpoint's year without a report for it, as (SheetText, section id), and their
    plans at it: two queries, plain values (no model is built for a province's 100,000 sheets)."""
    published = TargetSheet.objects.filter(state=SheetState.PUBLISHED, fiscal_year_id=checkpoint.fiscal_year_id)
    rows = (
        published.filter(~Exists(SpendReport.objects.filter(sheet=OuterRef("pk"), checkpoint=checkpoint)))
        .order_by("agency__code", "position", "id")
        .values_list("pk", "title", "project__name", "project__code", "agency__code", "agency__name", "section_id", "section__name")
    )
    sheets = [
        # display_title and unit_line as TargetSheet and Agency say them
        (
            messages.SheetText(
                pk, title or project_name, code, f"{agency_code}{agency_name}", section_name if section_id else None
            ),
            section_id,
        )
        for pk, title, project_name, code, agency_code, agency_name, section_id, section_name in rows
    ]
    plans = dict(
        SpendPlan.objects.filter(checkpoint=checkpoint, sheet__in=published).values_list("sheet_id", "cumulative_percent")
    )
    return sheets, plans


def _year_pack(year: int) -> tuple:
    """(the rule pack ``year`` follows or None, {point date: (spending rule, point)}); one query."""
    try:
        pack = monitoring_selectors.pack_for_year(year)
    except AppError:  # no default pack: today's rule
        return None, {}
    return pack, {point.date: (spend_rules.rule_of(pack, point), point) for point in monitoring_packs.points_in(pack, year)}


def _warned_points(day: datetime.date, years: dict) -> list[tuple]:
    """(checkpoint, its rule) of the points whose warnings the year's pack issues on ``day`` (monitored points only)."""
    found = []
    near = Checkpoint.objects.filter(date__lt=day, date__gte=day - POINT_WARNING_LOOKBACK)
    for checkpoint in near.select_related("fiscal_year").order_by("date"):
        year = checkpoint.fiscal_year.year
        if year not in years:
            years[year] = _year_pack(year)
        pack, points = years[year]
        rule, point = points.get(checkpoint.date, (spending.TODAY_RULE, None))
        if pack is None or point is None:
            warned_on = next_workday(checkpoint.date)
        else:  # after the point's report deadline when that is later (河北: the June point reported in July)
            warned_on = monitoring_deadlines.warning_date(pack, checkpoint.date, point.report_by)
        if warned_on == day and rule.monitored:
            found.append((checkpoint, rule))
    return found


def _warnings(day: datetime.date, today: datetime.date, years: dict) -> list[Due]:
    work = [(checkpoint, rule, *_published(checkpoint)) for checkpoint, rule in _warned_points(day, years)]
    sections = {section_id for _, _, sheets, _, _ in work for _, section_id, _, _ in sheets} - {None}
    agencies = {agency.pk for _, _, sheets, _, _ in work for _, _, agency, _ in sheets}
    holders = Holders({
        Role.STAFF: sections, Role.SECTION_HEAD: sections, Role.LEADER: agencies, Role.FINANCE_REVIEWER: agencies,
    })
    audiences: dict[tuple, list] = {}  # (section, agency, red) → staff and heads (and leaders), shared by its sheets
    due = []
    for checkpoint, rule, sheets, plans, reports in work:
        text = messages.SpendWarningText(checkpoint)
        default = checkpoint.planned_percent
        by_agency: dict[int, tuple[object, list]] = {}
        for sheet, section_id, agency, budget_total in sheets:
            point = spending.spend_at(
                checkpoint, planned=plans.get(sheet.pk, default), budget_total=budget_total,
                report=reports.get(sheet.pk), today=today, rule=rule,
            )
            if point.level not in (spending.YELLOW, spending.RED):
                continue
            planned = rule.reference(point.planned)  # what the sheet is compared with: its plan, or the pack's line
            red = point.level == spending.RED
            recipients = audiences.get((section_id, agency.pk, red))
            if recipients is None:
                recipients = holders.shared(Role.STAFF, section_id) + holders.shared(Role.SECTION_HEAD, section_id)
                if red:
                    recipients += holders.shared(Role.LEADER, agency.pk)
                audiences[(section_id, agency.pk, red)] = recipients
            state = "未填报" if point.actual is None else f"实际 {format_number(point.actual)}%"
            title, body, url = text(sheet, planned=planned, actual=point.actual, behind=point.behind, level=point.level)
            due.append(Due(
                Kind.SPEND_WARNING,
                f"{spending.LEVEL_LABELS[point.level]}：“{sheet.title}”（{sheet.code}） {checkpoint.label} "
                f"计划 {format_number(planned)}%，{state}",
                recipients, title, body, url, "sheet", sheet.pk, f"spend-warning:{sheet.pk}:{checkpoint.pk}",
            ))
            by_agency.setdefault(agency.pk, (agency, []))[1].append((sheet, planned, point.actual, point.level))
        for agency, warned in by_agency.values():
            due.append(Due.of(
                kind=Kind.SPEND_DIGEST,
                summary=f"预警汇总：{agency.unit_line} {checkpoint.label} 共 {len(warned)} 张",
                recipients=holders.shared(Role.FINANCE_REVIEWER, agency.pk),
                message=messages.for_spend_digest(agency, checkpoint, warned),
                dedupe_key=f"spend-digest:{agency.pk}:{checkpoint.pk}",
            ))
    return due


class _Agency(NamedTuple):
    pk: int
    code: str
    name: str

    @property
    def unit_line(self) -> str:
        return f"{self.code}{self.name}"  # as Agency.unit_line


class _Amount(NamedTuple):
    amount: Decimal  # what spending.spend_at reads of a report


def _published(checkpoint) -> tuple[list, dict, dict]:
    """The published sheets of the checkpoint's year as (SheetText, section id, agency, budget), their plans at it and
    the amounts reported for it: three queries, plain values."""
    published = TargetSheet.objects.filter(state=SheetState.PUBLISHED, fiscal_year_id=checkpoint.fiscal_year_id)
    rows = published.order_by("agency__code", "position", "id").values_list(
        "pk", "title", "project__name", "project__code", "agency_id", "agency__code", "agency__name", "section_id",
        "section__name", "budget_total",
    )
    agencies: dict[int, _Agency] = {}
    sheets = []
    for pk, title, project_name, code, agency_id, agency_code, agency_name, section_id, section_name, budget in rows:
        agency = agencies.get(agency_id)
        if agency is None:
            agency = agencies[agency_id] = _Agency(agency_id, agency_code, agency_name)
        text = messages.SheetText(pk, title or project_name, code, agency.unit_line, section_name if section_id else None)
        sheets.append((text, section_id, agency, budget))
    plans = dict(
        SpendPlan.objects.filter(checkpoint=checkpoint, sheet__in=published).values_list("sheet_id", "cumulative_percent")
    )
    reports = {
        sheet_id: _Amount(amount)
        for sheet_id, amount in SpendReport.objects.filter(checkpoint=checkpoint, sheet__in=published).values_list("sheet_id", "amount")
    }
    return sheets, plans, reports


# ---------------------------------------------------------------- 处置 (the monitoring of issue 21)


def disposal_dues(run, *, today: datetime.date) -> list[Due]:
    """The notices of a day's 处置 work (``monitoring.services.disposals_run``): each 处置 opened goes to its section's
    staff and head (with the deadline); each overdue one is nudged every day to them and the agency's leaders, with
    the consequence the pack recorded. Reads the role holders in one query."""
    overdue = [d for d in run.overdue]
    sections = {d.section_id for d in (*run.opened, *overdue)} - {None}
    agencies = {d.agency_id for d in overdue}
    holders = Holders({Role.STAFF: sections, Role.SECTION_HEAD: sections, Role.LEADER: agencies})
    due = []
    for disposal in run.opened:
        sheet = messages.SheetText.of(disposal.sheet)
        options = "、".join(disposal.options)
        body = (
            f"{sheet.unit_line}“{sheet.title}”（{sheet.code}）在{disposal.point_label}运行监控中评价为红灯：{disposal.grounds}。\n"
            f"请在 {disposal.due:%Y-%m-%d} 前作出处置决定（{options}），逾期未处置将记录为“{disposal.pack.overdue_consequence}”。"
        )
        due.append(Due(
            Kind.DISPOSAL, f"监控处置：“{sheet.title}”（{sheet.code}） {disposal.point_label}红灯，{disposal.due:%Y-%m-%d} 前处置",
            holders.shared(Role.STAFF, disposal.section_id) + holders.shared(Role.SECTION_HEAD, disposal.section_id),
            f"【监控预警】{sheet.title}：请在 {disposal.due:%Y-%m-%d} 前处置", body,
            messages.absolute(disposal.get_absolute_url()), "disposal", disposal.pk, f"disposal-open:{disposal.pk}",
        ))
    for disposal in overdue:
        sheet = messages.SheetText.of(disposal.sheet)
        consequence = f"已记录为“{disposal.consequence}”。" if disposal.consequence else ""
        body = (
            f"{sheet.unit_line}“{sheet.title}”（{sheet.code}）{disposal.point_label}红灯的处置期限 {disposal.due:%Y-%m-%d} 已过，"
            f"尚未作出处置决定。{consequence}请尽快作出处置决定并提交审批。"
        )
        due.append(Due(
            Kind.DISPOSAL, f"处置催办：“{sheet.title}”（{sheet.code}） 期限 {disposal.due:%Y-%m-%d} 已过",
            holders.shared(Role.STAFF, disposal.section_id) + holders.shared(Role.SECTION_HEAD, disposal.section_id)
            + holders.shared(Role.LEADER, disposal.agency_id),
            f"【处置逾期】{sheet.title}", body, messages.absolute(disposal.get_absolute_url()), "disposal", disposal.pk,
            f"disposal-overdue:{disposal.pk}:{today:%Y%m%d}",
        ))
    return due
