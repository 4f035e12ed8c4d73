"""Spending against the plan (执行进度): record a report, and read plan against actual per checkpoint.

The actual % of a checkpoint is the reported cumulative amount over the sheet's
budget. Against the plan's cumulative %: on or ahead of plan is green, up to
10 points behind is yellow, more is red. A checkpoint whose date has passed
without a report counts as 0% spent.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from projects import validation
from projects.models import Checkpoint, SheetState, SpendPlan, TargetSheet
from projects.values import format_number
from core import errors
from people import roles
from spending.models import EXPLANATION, SpendReport
from workflow import permissions

YELLOW_MAX_BEHIND = Decimal(10)
GREEN, YELLOW, RED, NOT_DUE = "green", "yellow", "red", "not_due"
LEVEL_LABELS = {GREEN: "正常", YELLOW: "黄色预警", RED: "红色预警", NOT_DUE: "未到期"}
CENT = Decimal("0.01")


# ---------------------------------------------------------------- who may


def can_record(user, sheet: TargetSheet) -> bool:
    """The sheet's section staff record its spending."""
    return user.is_authenticated and permissions.holds(user, roles.Role.STAFF, sheet)


def can_view(user, sheet: TargetSheet) -> bool:
    """Spending is read by the sheet's section (staff, head), its agency's leaders and finance reviewers, and admins."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or any(
        permissions.holds(user, role, sheet)
        for role in (roles.Role.STAFF, roles.Role.SECTION_HEAD, roles.Role.LEADER, roles.Role.FINANCE_REVIEWER)
    )


def can_view_agency(user, agency) -> bool:
    """The agency dashboard is for its leaders, its finance reviewers and admins."""
    if not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or roles.has_role(user, roles.Role.LEADER, agency)
        or roles.has_role(user, roles.Role.FINANCE_REVIEWER, agency)
    )


# ---------------------------------------------------------------- plan against actual


def level_for(*, planned: Decimal, actual: Decimal) -> str:
    behind = planned - actual
    if behind <= 0:
        return GREEN
    return YELLOW if behind <= YELLOW_MAX_BEHIND else RED


def planned_percent(sheet: TargetSheet, checkpoint: Checkpoint) -> Decimal:
    """The sheet's planned cumulative % at ``checkpoint`` (the checkpoint's default when the sheet has none)."""
    for point in sheet.plan.all():
        if point.checkpoint_id == checkpoint.pk:
            return point.cumulative_percent
    return checkpoint.planned_percent


def percent_of_budget(sheet: TargetSheet, amount: Decimal) -> Decimal | None:
    if not sheet.budget_total:
        return None
    return percent_of(sheet.budget_total, amount)


def percent_of(budget_total: Decimal, amount: Decimal) -> Decimal:
    return (Decimal(amount) / budget_total * 100).quantize(CENT)


@dataclass
class CheckpointSpend:
    """One checkpoint of one sheet: the plan, the report if any, and the colour."""

    checkpoint: Checkpoint
    planned: Decimal
    report: SpendReport | None
    actual: Decimal | None
    behind: Decimal | None
    level: str
    published: bool = True  # before publication nothing is reported, so nothing is due

    @property
    def level_label(self) -> str:
        if not self.published:
            return "公开后填报"
        if self.missing:
            return "未填报" if self.level == GREEN else f"未填报（{LEVEL_LABELS[self.level]}）"
        return LEVEL_LABELS[self.level]

    @property
    def missing(self) -> bool:
        return self.report is None and self.level != NOT_DUE

    @property
    def label(self) -> str:
        return self.checkpoint.label


def checkpoint_spend(sheet: TargetSheet, checkpoint: Checkpoint, report: SpendReport | None, today: datetime.date) -> CheckpointSpend:
    return spend_at(checkpoint, planned=planned_percent(sheet, checkpoint), budget_total=sheet.budget_total, report=report, today=today)


def spend_at(checkpoint: Checkpoint, *, planned: Decimal, budget_total: Decimal, report, today: datetime.date) -> CheckpointSpend:
    """``checkpoint_spend`` on plain values (a province's sheets are read as tuples): ``report`` is anything with
    the report's ``amount``, or None."""
    if report is not None:
        actual = (percent_of(budget_total, report.amount) if budget_total else None) or Decimal(0)
    elif checkpoint.date < today:
        actual = None
    else:
        return CheckpointSpend(checkpoint, planned, None, None, None, NOT_DUE)
    spent = actual if actual is not None else Decimal(0)
    return CheckpointSpend(
        checkpoint, planned, report, actual, max(planned - spent, Decimal(0)), level_for(planned=planned, actual=spent)
    )


def with_spending(queryset: QuerySet) -> QuerySet:
    """Sheets with what plan-against-actual reads, in a fixed number of queries."""
    return queryset.select_related("project", "agency", "section", "fiscal_year").prefetch_related(
        Prefetch("plan", queryset=SpendPlan.objects.select_related("checkpoint").order_by("checkpoint__date")),
        Prefetch("spend_reports", queryset=SpendReport.objects.select_related("checkpoint", "reported_by")),
        Prefetch("fiscal_year__checkpoints", queryset=Checkpoint.objects.order_by("date")),
    )


def sheet_spending(*, sheet: TargetSheet, today: datetime.date | None = None) -> list[CheckpointSpend]:
    """Plan against actual at each checkpoint of the sheet's year (use a sheet from ``with_spending``).

    A sheet not yet published is not being executed against (its spending is reported from publication on): its
    checkpoints show the plan only, never a missing report or a warning."""
    today = today or timezone.localdate()
    if not sheet.is_published:
        return [
            CheckpointSpend(cp, planned_percent(sheet, cp), None, None, None, NOT_DUE, published=False)
            for cp in sheet.fiscal_year.checkpoints.all()
        ]
    reports = {r.checkpoint_id: r for r in sheet.spend_reports.all()}
    return [checkpoint_spend(sheet, cp, reports.get(cp.pk), today) for cp in sheet.fiscal_year.checkpoints.all()]


def published_sheets(*, agency=None, fiscal_year=None) -> QuerySet:
    queryset = TargetSheet.objects.filter(state=SheetState.PUBLISHED)
    if agency is not None:
        queryset = queryset.filter(agency=agency)
    if fiscal_year is not None:
        queryset = queryset.filter(fiscal_year=fiscal_year)
    return with_spending(queryset).order_by("agency__code", "position", "id")


@dataclass
class AgencyRow:
    sheet: TargetSheet
    points: list[CheckpointSpend]


@dataclass
class AgencyTotal:
    checkpoint: Checkpoint
    planned: Decimal
    actual: Decimal | None  # None before the checkpoint when nothing is reported yet
    level: str
    missing: int
    counts: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.checkpoint.label

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]


@dataclass
class AgencySpending:
    agency: object
    year: int
    checkpoints: list[Checkpoint]
    rows: list[AgencyRow]
    totals: list[AgencyTotal]
    budget_total: Decimal


def agency_spending(*, agency, year: int, today: datetime.date | None = None) -> AgencySpending:
    """Every published sheet of the agency in ``year`` with plan against actual, and budget-weighted totals."""
    today = today or timezone.localdate()
    checkpoints = list(Checkpoint.objects.filter(fiscal_year__year=year).order_by("date"))
    sheets = list(published_sheets(agency=agency).filter(fiscal_year__year=year))
    rows = [AgencyRow(sheet, sheet_spending(sheet=sheet, today=today)) for sheet in sheets]
    budget = sum((s.budget_total for s in sheets), Decimal(0))
    totals = []
    for index, checkpoint in enumerate(checkpoints):
        points = [row.points[index] for row in rows]
        planned_amount = sum((row.sheet.budget_total * p.planned / 100 for row, p in zip(rows, points)), Decimal(0))
        actual_amount = sum((p.report.amount for p in points if p.report is not None), Decimal(0))
        planned = (planned_amount / budget * 100).quantize(CENT) if budget else Decimal(0)
        actual = (actual_amount / budget * 100).quantize(CENT) if budget else Decimal(0)
        due = checkpoint.date < today or any(p.report is not None for p in points)
        counts = {level: sum(1 for p in points if p.level == level) for level in (GREEN, YELLOW, RED, NOT_DUE)}
        totals.append(AgencyTotal(
            checkpoint, planned, actual if due else None, level_for(planned=planned, actual=actual) if due else NOT_DUE,
            sum(1 for p in points if p.missing), counts,
        ))
    return AgencySpending(agency, year, checkpoints, rows, totals, budget)


# ---------------------------------------------------------------- recording


def _decimal(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise errors.invalid("累计实际支出应为数字（万元）。") from None
    if not amount.is_finite():
        raise errors.invalid("累计实际支出应为数字（万元）。")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(CENT):
        raise errors.invalid("累计实际支出最多保留两位小数（万元）。")
    return amount.quantize(CENT)


@transaction.atomic
def spend_report_record(*, sheet: TargetSheet, checkpoint: Checkpoint, amount, explanation: str = "", user) -> SpendReport:
    """Record (or replace) the actual cumulative spend of a published sheet at ``checkpoint``.

    Only the sheet's section staff; the amount in 万元 is between 0 and the
    budget and does not go back below an earlier checkpoint's (nor above a later
    one's); an explanation is required when the % lags the plan.
    """
    sheet = with_spending(TargetSheet.objects.select_for_update(of=("self",), no_key=True)).get(pk=sheet.pk)
    if not can_record(user, sheet):
        raise errors.forbidden("只有本科室经办人可以填报执行进度。")
    if not sheet.is_published:
        raise errors.conflict(f"这张表处于“{sheet.get_state_display()}”状态，公开后才能填报执行进度。", code="illegal_state")
    if checkpoint.fiscal_year_id != sheet.fiscal_year_id:
        raise errors.invalid(f"时间节点“{checkpoint.label}”不属于这张表的预算年度（{sheet.fiscal_year.year}年）。")
    amount = _decimal(amount)
    if amount < 0:
        raise errors.invalid("累计实际支出不能为负数。")
    if sheet.budget_total <= 0:
        raise errors.invalid("这张表的预算数为 0，无需填报执行进度。")
    if amount > sheet.budget_total:
        raise errors.invalid(
            f"累计实际支出 {format_number(amount)} 万元超过预算数 {format_number(sheet.budget_total)} 万元。"
        )
    for other in sheet.spend_reports.all():
        if other.checkpoint.date < checkpoint.date and other.amount > amount:
            raise errors.invalid(
                f"累计实际支出不能少于“{other.checkpoint.label}”已填报的 {format_number(other.amount)} 万元（按累计数填报）。"
            )
        if other.checkpoint.date > checkpoint.date and other.amount < amount:
            raise errors.invalid(
                f"累计实际支出不能多于“{other.checkpoint.label}”已填报的 {format_number(other.amount)} 万元（按累计数填报）。"
            )
    explanation = (explanation or "").strip()
    problem = validation.text_problem(explanation, EXPLANATION[0], max_length=EXPLANATION[1], multiline=EXPLANATION[2])
    if problem:
        raise errors.invalid(problem)
    planned = planned_percent(sheet, checkpoint)
    actual = percent_of_budget(sheet, amount)
    if actual < planned and not explanation:
        raise errors.invalid(
            f"实际支出进度 {format_number(actual)}% 低于计划 {format_number(planned)}%，请填写进度说明（原因和措施）。"
        )
    report, _ = SpendReport.objects.update_or_create(
        sheet=sheet, checkpoint=checkpoint,
        defaults={"amount": amount, "explanation": explanation, "reported_by": user, "reported_at": timezone.now()},
    )
    return report


# ---------------------------------------------------------------- the chart


@dataclass
class ChartBar:
    center: float
    x: float
    y: float
    width: float
    height: float
    label: str
    plan_label: str
    actual_label: str
    level: str


@dataclass
class Chart:
    """Coordinates for an inline SVG: the plan as a line, the actual as bars coloured by level."""

    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    grid: list[tuple[float, str]]
    plan_points: str
    plan_dots: list[tuple[float, float, str]]
    bars: list[ChartBar]


def chart(points) -> Chart:
    """Geometry of the plan-vs-actual chart for CheckpointSpend (or AgencyTotal) items."""
    width, height = 560, 240
    left, right, top, bottom = 44, width - 12, 14, height - 40
    plot_h = bottom - top
    slot = (right - left) / max(len(points), 1)

    def y(percent) -> float:
        return round(bottom - float(min(max(percent, 0), 100)) / 100 * plot_h, 1)

    grid = [(y(p), f"{p}%") for p in (0, 25, 50, 75, 100)]
    plan, dots, bars = [], [], []
    for i, point in enumerate(points):
        center = round(left + slot * (i + 0.5), 1)
        plan.append(f"{center},{y(point.planned)}")
        dots.append((center, y(point.planned), f"计划 {format_number(point.planned)}%"))
        actual = point.actual
        bar_w = round(min(slot * 0.45, 48), 1)
        top_y = y(actual) if actual is not None else bottom
        bars.append(ChartBar(
            center=center, x=round(center - bar_w / 2, 1), y=top_y, width=bar_w, height=round(bottom - top_y, 1), label=point.label,
            plan_label=f"{format_number(point.planned)}%",
            actual_label="未填报" if actual is None and point.level != NOT_DUE else (
                "—" if actual is None else f"{format_number(actual)}%"
            ),
            level=point.level,
        ))
    return Chart(width, height, left, right, top, bottom, grid, " ".join(plan), dots, bars)
