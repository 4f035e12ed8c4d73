"""Writes: copy a rule pack; switch a year to a pack (and its spending checkpoints to the pack's points); open and
edit a monitoring report (its moves are the engine's); open 处置 for the sheets graded red, record the consequence
of a missed deadline, and the section's 处置 decision."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from adjustments.services import adjustment_open
from core import errors
from projects import validation
from projects.models import ADJUSTMENT_REASON_MAX, Checkpoint, FiscalYear, SheetState, SpendPlan, TargetSheet
from projects.revisions import open_adjustment
from spending.models import SpendReport
from workflow import flow, permissions
from workflow.services import _changed_by, document_lock  # the engine's stale wording

from monitoring import deadlines, grading, reporting, selectors
from monitoring.models import (
    DISPOSAL_CHAIN, REPORT_CHAIN, REPORT_TEXT_MAX, Disposal, Likelihood, MonitoringReport, MonitoringRow, ReasonKind,
    RulePack, YearRulePack,
)

COPY_SUFFIX = "（副本）"


def _refusal(problem: ValidationError) -> errors.AppError:
    return errors.invalid("；".join(problem.messages))


@transaction.atomic
def rule_pack_copy(*, pack: RulePack) -> RulePack:
    """A copy of ``pack`` to change (not shipped, not the default): ``<name>（副本）`` / ``<code>-copy``, numbered
    when taken."""
    codes = set(RulePack.objects.values_list("code", flat=True))
    names = set(RulePack.objects.values_list("name", flat=True))
    number = 1
    while True:
        tail = "" if number == 1 else f"-{number}"
        code = f"{pack.code[:40 - 5 - len(tail)]}-copy{tail}"
        name = f"{pack.name}{COPY_SUFFIX}{'' if number == 1 else number}"
        if code not in codes and name not in names:
            break
        number += 1
    copy = RulePack.objects.get(pk=pack.pk)
    copy.pk = None
    copy.code, copy.name, copy.is_default, copy.shipped, copy.copied_from = code, name, False, False, pack
    try:
        copy.full_clean()
    except ValidationError as problem:
        raise _refusal(problem) from None
    copy.save()
    return copy


def _points_text(points) -> str:
    return "、".join(point.label for point in points)


@transaction.atomic
def year_pack_use(*, year: int, code: str, user=None) -> YearRulePack:
    """Switch ``year`` to the pack ``code`` and record the choice.

    The year's spending checkpoints follow the pack's points (dates and expected cumulative %): when they differ,
    they are replaced, which is refused while any sheet of the year has a spending plan (or a spending report) on
    the old points. A year that does not exist yet is created with the pack's points."""
    pack = selectors.pack_by_code(code)
    fiscal_year, _created = FiscalYear.objects.select_for_update().get_or_create(year=year)
    points = pack.points_in(year)
    wanted = [(point.date, point.expected) for point in points]
    current = list(Checkpoint.objects.filter(fiscal_year=fiscal_year).order_by("date"))
    changed = [(cp.date, cp.planned_percent) for cp in current] != wanted
    if changed:
        planned = SpendPlan.objects.filter(checkpoint__fiscal_year=fiscal_year).values("sheet").distinct().count()
        old = "、".join(cp.label for cp in current)
        if planned:
            raise errors.conflict(
                f"{year}年已有 {planned} 张绩效目标表按原时间节点（{old}）编制了资金支出计划，"
                f"不能改用“{pack.name}”的监控时点（{_points_text(points)}）：请为该年度选用时间节点相同的规则包。",
                code="checkpoints_in_use",
            )
        try:
            Checkpoint.objects.filter(fiscal_year=fiscal_year).delete()
        except ProtectedError:
            raise errors.conflict(
                f"{year}年已有按原时间节点（{old}）填报的执行进度，不能改用“{pack.name}”的监控时点（{_points_text(points)}）。",
                code="checkpoints_in_use",
            ) from None
        for point in points:  # one by one: each save tells the checker the year's plan check changed
            Checkpoint.objects.create(fiscal_year=fiscal_year, date=point.date, planned_percent=point.expected)
    return YearRulePack.objects.create(fiscal_year=fiscal_year, pack=pack, chosen_by=user, checkpoints_changed=changed)


# ---------------------------------------------------------------- the monitoring report (issue 21 item 2)

REPORT_ROW_FIELDS = ("current", "level", "forecast", "likelihood", "reason_kind", "reason_note", "measures")
ROW_TEXT_SPECS = {
    "current": ("当前完成值", 100, False),
    "forecast": ("全年预计完成情况", REPORT_TEXT_MAX, True),
    "reason_note": ("偏差原因说明", REPORT_TEXT_MAX, True),
    "measures": ("纠偏措施", REPORT_TEXT_MAX, True),
}


def _choice(value, choices, label: str, name: str) -> str:
    text = (value or "").strip() if isinstance(value, str) else value
    if not text:
        return ""
    for code, shown in choices:
        if text in (code, shown):
            return code
    raise errors.invalid(f"“{name}”的{label}应为{'、'.join(shown for _code, shown in choices)}之一。")


def _text(value, spec) -> str:
    label, limit, multiline = spec
    value = "" if value is None else value
    problem = validation.text_problem(value, label, max_length=limit, multiline=multiline)
    if problem:
        raise errors.invalid(problem)
    return value.strip()


def _point_or_refuse(pack, year: int, point_date: datetime.date):
    point = reporting.point_at(pack, year, point_date)
    if point is None:
        shown = "、".join(f"{p.label}（{p.date:%Y-%m-%d}）" for p in reporting.monitored_points(pack, year))
        raise errors.not_found(f"{point_date:%Y-%m-%d} 不是{year}年“{pack.name}”的监控时点（监控时点：{shown}）。")
    return point


def _write_grades(report: MonitoringReport, rows: list[MonitoringRow], *, refuse: bool) -> None:
    graded = reporting.grade(report, rows)
    if refuse and graded.problems:
        raise errors.invalid(graded.problems[0])
    for row, light in zip(rows, graded.rows):
        row.colour = light.colour if light is not None else ""
        row.how = light.how if light is not None else ""
        row.reason_required = bool(light is not None and light.reason_required)
    report.spending_percent = graded.spending.actual
    report.spending_colour, report.spending_how = graded.money.colour, graded.money.how
    report.colour = graded.sheet.colour
    report.check_errors = len(reporting.missing(report, rows, graded))


@transaction.atomic
def report_open(*, sheet: TargetSheet, point_date: datetime.date, user) -> MonitoringReport:
    """The sheet's monitoring report at ``point_date`` (a monitoring point of its year's pack): the one it has, or a
    new draft of its indicators in force, starting from the last earlier report's values. Refused unless ``user``
    drafts for the sheet's section and the sheet is published."""
    locked = document_lock(TargetSheet, sheet.pk)
    if not flow.holds(user, REPORT_CHAIN.author, locked):
        raise errors.forbidden("只有本科室经办人可以填报这张表的运行监控。")
    if locked.state != SheetState.PUBLISHED:
        raise errors.conflict("绩效目标表公开后才能开展运行监控。")
    existing = MonitoringReport.objects.filter(sheet=locked, point_date=point_date).first()
    if existing is not None:
        return existing
    year = locked.fiscal_year.year
    pack = selectors.pack_for_year(year)
    _point_or_refuse(pack, year, point_date)
    previous = (
        MonitoringReport.objects.filter(sheet=locked, point_date__lt=point_date).order_by("-point_date").first()
    )
    earlier = {}
    if previous is not None:
        for row in previous.rows.all():
            earlier.setdefault(row.indicator_id, row)
            earlier.setdefault(row.name, row)
    try:
        with transaction.atomic():
            report = MonitoringReport.objects.create(
                sheet=locked, point_date=point_date, pack=pack, agency_id=locked.agency_id, section_id=locked.section_id,
                state=SheetState.DRAFT, updated_by=user,
            )
    except IntegrityError:  # opened at the same moment in another tab
        return MonitoringReport.objects.get(sheet=locked, point_date=point_date)
    rows = []
    for order, indicator in enumerate(locked.indicators.order_by("order", "id")):
        row = MonitoringRow(
            report=report, indicator=indicator, order=order, category=indicator.category,
            subcategory=indicator.subcategory, name=indicator.name, target=indicator.target_value,
        )
        before = earlier.get(indicator.pk) or earlier.get(indicator.name)
        if before is not None:
            for name in REPORT_ROW_FIELDS:
                setattr(row, name, getattr(before, name))
        rows.append(row)
    _write_grades(report, rows, refuse=False)
    MonitoringRow.objects.bulk_create(rows)
    report.save()
    return report


def report_ensure_editable(user, report: MonitoringReport) -> None:
    if not permissions.can_edit(user, report):
        if report.is_editable:
            raise errors.forbidden("只有本科室经办人可以修改这张运行监控表。")
        raise errors.conflict(f"这张运行监控表处于“{REPORT_CHAIN.label(report.state)}”状态，不能修改。")


def _row_apply(row: MonitoringRow, changes: dict) -> None:
    for name, spec in ROW_TEXT_SPECS.items():
        if name in changes:
            setattr(row, name, _text(changes[name], spec))
    if "level" in changes:
        level = grading.level_code(changes["level"] or "")
        if changes["level"] and not level:
            raise errors.invalid(f"“{row.name}”的完成情况应为达到、部分达到或未达到预期目标。")
        row.level = level
    if "likelihood" in changes:
        row.likelihood = _choice(changes["likelihood"], Likelihood.choices, "完成目标可能性", row.name)
    if "reason_kind" in changes:
        row.reason_kind = _choice(changes["reason_kind"], ReasonKind.choices, "偏差原因", row.name)


@transaction.atomic
def report_edit(*, report: MonitoringReport, user, expected_version: int, rows: dict | None = None) -> MonitoringReport:
    """Save edits of a draft (or returned) report made on ``expected_version`` (a stale one: 412). ``rows``: {row id:
    {current, level, forecast, likelihood, reason_kind, reason_note, measures}}: the rows sent change, the others
    stay. The lights are graded again; a value that cannot be read against its target is refused."""
    locked = document_lock(MonitoringReport, report.pk)
    report_ensure_editable(user, locked)
    if expected_version != locked.version:
        raise errors.stale(
            f"这张运行监控表已由{_changed_by(locked)}修改（当前版本 {locked.version}，您编辑的是版本 {expected_version}），"
            "您的修改未保存。请刷新页面，在最新内容上重新修改。"
        )
    saved = {row.pk: row for row in locked.rows.all()}
    for pk, changes in (rows or {}).items():
        row = saved.get(pk)
        if row is None:
            raise errors.invalid(f"运行监控表中没有编号为 {pk} 的指标行。")
        _row_apply(row, changes)
    ordered = sorted(saved.values(), key=lambda r: (r.order, r.pk))
    _write_grades(locked, ordered, refuse=True)
    MonitoringRow.objects.bulk_update(ordered, [*REPORT_ROW_FIELDS, "colour", "how", "reason_required"])
    locked.bump_version(user)
    locked.save()
    report.version, report.updated_by_id = locked.version, locked.updated_by_id
    return locked


# ---------------------------------------------------------------- 处置 (issue 21 item 3)

# what the notices of a day's 处置 read of each (no query per 处置)
_DISPOSAL_READ_WITH = (*Disposal.approval_related, "sheet__agency", "sheet__section", "pack")
ADJUSTMENT_WORD = "调整"  # an option naming it (四川: 调剂预算（含绩效目标调整）) opens a target adjustment


@dataclass
class DisposalRun:
    """What ``disposals_run`` did on a day: the 处置 it opened, those overdue (nudged), those whose consequence it
    recorded."""

    opened: list = field(default_factory=list)
    overdue: list = field(default_factory=list)
    consequences: list = field(default_factory=list)


def red_sheets_at(pack, point, fiscal_year) -> dict[int, str]:
    """{sheet id: why it is red} of the year's published sheets graded red at ``point`` by ``pack``: the spending
    light from the spending reports (no report: 0), or the sheet's monitoring report graded red. Four queries, plain
    values (a province's sheets are read as tuples)."""
    published = TargetSheet.objects.filter(state=SheetState.PUBLISHED, fiscal_year=fiscal_year)
    checkpoint = Checkpoint.objects.filter(fiscal_year=fiscal_year, date=point.date).first()
    amounts, plans = {}, {}
    if checkpoint is not None:
        amounts = dict(SpendReport.objects.filter(checkpoint=checkpoint, sheet__in=published).values_list("sheet_id", "amount"))
        plans = dict(SpendPlan.objects.filter(checkpoint=checkpoint, sheet__in=published).values_list("sheet_id", "cumulative_percent"))
    reports = dict(
        MonitoringReport.objects.filter(sheet__in=published, point_date=point.date, colour=grading.RED).values_list("sheet_id", "pk")
    )
    red = {}
    for pk, budget in published.values_list("pk", "budget_total"):
        amount = amounts.get(pk)
        actual = (amount / budget * 100).quantize(reporting.CENT) if amount is not None and budget else Decimal(0)
        light = reporting.spending_light(pack, point, reporting.Spending(actual, plans.get(pk), point.expected, amount))
        why = []
        if light.colour == grading.RED:
            why.append(f"支出：{light.how}")
        if pk in reports:
            why.append("运行监控表评价为红灯")
        if why:
            red[pk] = "；".join(why)
    return red


@transaction.atomic
def disposals_run(*, day: datetime.date) -> DisposalRun:
    """The day's 处置 work (run_reminders, the daily job): on a point's warning date (the pack's), open a 处置 for each
    sheet graded red, due in the pack's working days; past a deadline without a decision (nothing submitted), record
    the pack's consequence once, and nudge every day. Running a day twice opens and records nothing new."""
    run = DisposalRun()
    for fiscal_year in FiscalYear.objects.filter(year__in=(day.year - 1, day.year)):
        pack = selectors.pack_for_year(fiscal_year.year)
        if not pack.disposal_options or not pack.disposal_workdays:
            continue
        for point in reporting.monitored_points(pack, fiscal_year.year):
            if deadlines.warning_date(pack, point.date, point.report_by) != day:
                continue
            red = red_sheets_at(pack, point, fiscal_year)
            if not red:
                continue
            due = deadlines.disposal_deadline(pack, warned_on=day)
            sheets = TargetSheet.objects.filter(pk__in=list(red)).values_list("pk", "agency_id", "section_id")
            Disposal.objects.bulk_create([
                Disposal(sheet_id=pk, agency_id=agency_id, section_id=section_id, point_date=point.date, pack=pack,
                         state=SheetState.DRAFT, warned_on=day, due=due, grounds=red[pk], options=list(pack.disposal_options))
                for pk, agency_id, section_id in sheets
            ], ignore_conflicts=True)
            _flag_consecutive(pack, fiscal_year.year, point, list(red))
            run.opened += list(Disposal.objects.filter(sheet_id__in=list(red), point_date=point.date, warned_on=day, version=1,
                                                       state=SheetState.DRAFT).select_related(*_DISPOSAL_READ_WITH))
    overdue = Disposal.objects.filter(due__lt=day, state__in=DISPOSAL_CHAIN.drafting).select_related(*_DISPOSAL_READ_WITH)
    by_consequence: dict[str, list[Disposal]] = {}
    for disposal in overdue:
        run.overdue.append(disposal)
        if not disposal.consequence and disposal.pack.overdue_consequence:
            by_consequence.setdefault(disposal.pack.overdue_consequence, []).append(disposal)
    now = timezone.now()
    for consequence, disposals in by_consequence.items():  # one statement per distinct consequence, not per 处置
        Disposal.objects.filter(pk__in=[d.pk for d in disposals], consequence="").update(
            consequence=consequence, consequence_on=day, version=F("version") + 1, updated_by=None, updated=now,
        )
        for disposal in disposals:
            disposal.consequence, disposal.consequence_on, disposal.version = consequence, day, disposal.version + 1
            run.consequences.append(disposal)
    return run


def _flag_consecutive(pack, year: int, point, sheet_ids: list[int]) -> None:
    """Mark the pack's consequence of consecutive warnings (四川: 3 red points in a row → 列入现场核查 [2nd]) on the
    point's 处置 of the sheets red at each of the points before it too (one query to read, one to write)."""
    count = pack.consecutive_warnings
    if not count or not (pack.consecutive_consequence or "").strip():
        return
    dates = [p.date for p in reporting.monitored_points(pack, year) if p.date <= point.date][-count:]
    if len(dates) < count:
        return
    red_at: dict[int, set] = {}
    for sheet_id, date in Disposal.objects.filter(sheet_id__in=sheet_ids, point_date__in=dates).values_list("sheet_id", "point_date"):
        red_at.setdefault(sheet_id, set()).add(date)
    flagged = [
        sheet_id for sheet_id, seen in red_at.items()
        if grading.consecutive_warnings(pack, [grading.RED if date in seen else grading.GREEN for date in dates])
    ]
    if flagged:
        Disposal.objects.filter(sheet_id__in=flagged, point_date=point.date, flagged="").update(flagged=pack.consecutive_consequence)


def disposal_ensure_editable(user, disposal: Disposal) -> None:
    if not permissions.can_edit(user, disposal):
        if disposal.is_editable:
            raise errors.forbidden("只有本科室经办人可以作出这项处置决定。")
        raise errors.conflict(f"这项处置处于“{DISPOSAL_CHAIN.label(disposal.state)}”状态，不能修改。")


@transaction.atomic
def disposal_decide(*, disposal: Disposal, user, expected_version: int, choice: str, note: str = "",
                    today: datetime.date | None = None) -> Disposal:
    """The section's decision (one of the pack's options) and its note, on ``expected_version``, made ``today``. An
    option naming 调整 opens a target adjustment of the sheet linked to the 处置 (or links the one already under way);
    an option the pack asks a proposal for (四川: 调剂, 取消) sets the proposal's deadline in working days."""
    today = today or timezone.localdate()
    locked = document_lock(Disposal, disposal.pk)
    disposal_ensure_editable(user, locked)
    if expected_version != locked.version:
        raise errors.stale(
            f"这项处置已由{_changed_by(locked)}修改（当前版本 {locked.version}，您编辑的是版本 {expected_version}），"
            "您的修改未保存。请刷新页面后重新选择。"
        )
    choice = (choice or "").strip() if isinstance(choice, str) else ""
    if choice not in locked.options:
        raise errors.invalid(f"请从处置选项中选择：{'、'.join(locked.options)}。")
    note = _text(note, ("处置说明", REPORT_TEXT_MAX, True))
    if ADJUSTMENT_WORD in choice and locked.adjustment_id is None:
        sheet = TargetSheet.objects.get(pk=locked.sheet_id)
        under_way = open_adjustment(sheet)
        if under_way is None:
            reason = f"{locked.point_label}运行监控红灯处置：{choice}。{note}".strip()
            under_way = adjustment_open(sheet=sheet, user=user, reason=reason[:ADJUSTMENT_REASON_MAX])
        locked.adjustment = under_way
    pack = RulePack.objects.get(pk=locked.pack_id)
    locked.proposal_due = deadlines.proposal_deadline(pack, decided_on=today) if choice in (pack.proposal_options or ()) else None
    locked.choice, locked.note = choice, note
    locked.bump_version(user)
    locked.save()
    disposal.version, disposal.choice, disposal.adjustment_id = locked.version, locked.choice, locked.adjustment_id
    return locked
