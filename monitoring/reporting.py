"""A monitoring report graded by its year's rule pack: the spending at the point (from the sheet's spending report),
each indicator's light and the sheet's (its worst), with the rule and the numbers for the page (issue 21 item 2).

Reads only (the services write what ``grade`` computes). A row without its 当前完成值 has no light yet and is listed
in ``content_errors``, the document's content check (a submission is refused while anything is missing).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from monitoring import grading, packs
from projects import values
from projects.models import Checkpoint, SpendPlan
from spending.models import SpendReport

CENT = Decimal("0.01")


def monitored_points(pack, year: int) -> list[packs.Point]:
    return [point for point in packs.points_in(pack, year) if point.monitored]


def point_at(pack, year: int, date: datetime.date) -> packs.Point | None:
    return next((point for point in monitored_points(pack, year) if point.date == date), None)


@dataclass(frozen=True)
class Spending:
    """The sheet's cumulative spending at a point: ``actual`` % of its budget (0 when nothing was reported),
    ``planned`` its own plan (None: none), ``line`` the pack's expected %, ``amount`` as reported (None: no report)."""

    actual: Decimal
    planned: Decimal | None
    line: Decimal
    amount: Decimal | None


def spending_at(sheet, point: packs.Point) -> Spending:
    """Two queries: the spending report and the plan at the checkpoint of the point's date."""
    checkpoint = Checkpoint.objects.filter(fiscal_year_id=sheet.fiscal_year_id, date=point.date).first()
    amount = planned = None
    if checkpoint is not None:
        amount = SpendReport.objects.filter(sheet=sheet, checkpoint=checkpoint).values_list("amount", flat=True).first()
        planned = SpendPlan.objects.filter(sheet=sheet, checkpoint=checkpoint).values_list("cumulative_percent", flat=True).first()
    actual = Decimal(0)
    if amount is not None and sheet.budget_total:
        actual = (amount / sheet.budget_total * 100).quantize(CENT)
    return Spending(actual, planned, point.expected, amount)


def spending_light(pack, point: packs.Point, spending: Spending) -> grading.Light:
    light = grading.spending_light(
        pack, point_date=point.date, line=spending.line, planned=spending.planned, actual=spending.actual
    )
    if spending.amount is None:
        return grading.Light(light.colour, f"未填报执行进度，按 0 计：{light.how}", light.reason_required, light.value)
    return light


def progress_of(row) -> grading.IndicatorProgress:
    return grading.IndicatorProgress(
        name=row.name, target=row.target, current=row.current, subcategory=row.subcategory, category=row.category,
        level=row.level,
    )


def is_qualitative(row) -> bool:
    return values.parse_target_value(row.target).kind != values.QUANTITATIVE


def has_value(row) -> bool:
    return bool(grading.level_code(row.level)) if is_qualitative(row) else bool((row.current or "").strip())


@dataclass
class Graded:
    spending: Spending
    money: grading.Light
    rows: list[grading.Light | None]  # None: not filled in yet
    sheet: grading.Light
    problems: list[str] = field(default_factory=list)  # values that cannot be read (Chinese)


def grade(report, rows=None) -> Graded:
    """The report's lights as filled in (``rows``: the rows as edited, default the saved ones)."""
    rows = list(report.rows.all()) if rows is None else rows
    pack = report.pack
    point = packs.Point(report.point_date, Decimal(0), report.point_date)
    found = point_at(pack, report.point_date.year, report.point_date)
    if found is not None:
        point = found
    spending = spending_at(report.sheet, point)
    money = spending_light(pack, point, spending)
    lights: list[grading.Light | None] = []
    problems: list[str] = []
    for row in rows:
        if not has_value(row):
            lights.append(None)
            continue
        try:
            lights.append(grading.attainment_light(pack, progress_of(row), point_date=point.date, spending=spending.actual))
        except grading.GradingError as problem:
            problems.append(str(problem))
            lights.append(None)
    sheet = grading.worst([money, *(light for light in lights if light is not None)])
    return Graded(spending, money, lights, sheet, problems)


def missing(report, rows, graded: Graded) -> list[str]:
    """What a submission still needs (Chinese)."""
    found = list(graded.problems)
    for row, light in zip(rows, graded.rows):
        if not has_value(row):
            if is_qualitative(row):
                found.append(f"“{row.name}”是定性指标，请选择完成情况（达到、部分达到或未达到预期目标）。")
            else:
                found.append(f"请填写“{row.name}”的当前完成值。")
            continue
        if light is not None and light.reason_required:
            if not row.reason_kind:
                found.append(f"“{row.name}”为{light.label or '需说明'}，请选择偏差原因。")
            elif row.reason_kind == "other" and not (row.reason_note or "").strip():
                found.append(f"“{row.name}”的偏差原因为“其他”，请填写说明。")
    return found


def content_errors(report) -> list[str]:
    rows = list(report.rows.all())
    return missing(report, rows, grade(report, rows))
