"""The rule checker (体检): one small function per rule, each returning findings.

``check_sheet(sheet)`` runs every rule on a sheet's content. Rules read plain
data only (``SheetContent``), so the checker runs the same on a saved sheet, on
a form being edited and on a document being imported. An *error* blocks
submission; a *warning* travels with the sheet to every reviewer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Iterable

from projects import values

ERROR = "error"
WARNING = "warning"
SEVERITY_LABELS = {ERROR: "错误", WARNING: "提示"}

OUTPUT = "产出指标"
BENEFIT = "效益指标"
SATISFACTION = "满意度指标"
REQUIRED_OUTPUT_SUBCATEGORIES = ("数量指标", "质量指标", "时效指标", "成本指标")
COST = "成本指标"
SATISFACTION_WARNING_BELOW = Decimal(90)
COST_FAR_BELOW_RATIO = Decimal("0.5")


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    field: str = ""  # a sheet field ("budget_total", "plan", "indicators") or, with ``row``, the row's field ("target_value")
    row: int | None = None  # the 0-based position of an indicator row
    group: str = ""  # the indicator group the finding is about: "产出指标" or "产出指标/数量指标"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    def as_dict(self) -> dict:
        return {
            "code": self.code, "severity": self.severity, "message": self.message, "field": self.field, "row": self.row,
            "group": self.group,
        }


@dataclass
class Row:
    category: str
    subcategory: str
    name: str
    description: str = ""
    target_value: str = ""
    basis: str = ""


@dataclass
class PlanPoint:
    label: str
    percent: Decimal | None


@dataclass
class SheetContent:
    budget_total: Decimal
    fiscal_funds: Decimal
    other_funds: Decimal
    plan: list[PlanPoint] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


Rule = Callable[[SheetContent], Iterable[Finding]]
RULES: list[Rule] = []


def rule(function: Rule) -> Rule:
    RULES.append(function)
    return function


def check_sheet(sheet) -> list[Finding]:
    """All findings for a sheet (a ``TargetSheet`` or a ``SheetContent``), errors first."""
    content = sheet if isinstance(sheet, SheetContent) else sheet.content()
    findings = [finding for check in RULES for finding in check(content)]
    return sorted(findings, key=lambda f: (f.severity != ERROR, f.row if f.row is not None else -1))


def verdict(sheet) -> tuple[int, int]:
    """(errors, warnings) ``check_sheet`` finds in ``sheet``: what a sheet stores as its verdict."""
    findings = check_sheet(sheet)
    errors = sum(f.is_error for f in findings)
    return errors, len(findings) - errors


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.is_error for f in findings)


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


@rule
def funds_not_negative(sheet: SheetContent):
    for name, label in (("budget_total", "预算数"), ("fiscal_funds", "财政资金"), ("other_funds", "其他资金")):
        amount = getattr(sheet, name)
        if amount is not None and amount < 0:
            yield Finding("negative_amount", ERROR, f"{label}不能为负数（当前为 {_money(amount)} 万元）。", field=name)


@rule
def funds_add_up(sheet: SheetContent):
    if sheet.fiscal_funds + sheet.other_funds != sheet.budget_total:
        yield Finding(
            "funds_mismatch",
            ERROR,
            f"财政资金 {_money(sheet.fiscal_funds)} 万元 + 其他资金 {_money(sheet.other_funds)} 万元"
            f" 不等于预算数 {_money(sheet.budget_total)} 万元。",
            field="budget_total",
        )


@rule
def plan_is_cumulative(sheet: SheetContent):
    if not sheet.plan:
        yield Finding("plan_missing", ERROR, "缺少资金支出计划。", field="plan")
        return
    previous = None
    for point in sheet.plan:
        if point.percent is None:
            yield Finding("plan_blank", ERROR, f"资金支出计划“{point.label}”未填写。", field="plan")
            continue
        if not Decimal(0) <= point.percent <= Decimal(100):
            yield Finding("plan_out_of_range", ERROR, f"资金支出计划“{point.label}”应在 0%～100% 之间。", field="plan")
        if previous is not None and point.percent < previous.percent:
            yield Finding(
                "plan_decreasing",
                ERROR,
                f"资金支出计划是累计进度，“{point.label}”（{values.format_number(point.percent)}%）"
                f"不应低于“{previous.label}”（{values.format_number(previous.percent)}%）。",
                field="plan",
            )
        previous = point
    last = sheet.plan[-1]
    if last.percent is not None and last.percent != Decimal(100):
        yield Finding("plan_incomplete", ERROR, f"资金支出计划在最后节点“{last.label}”应达到 100%。", field="plan")


@rule
def required_categories(sheet: SheetContent):
    present = {(r.category, r.subcategory) for r in sheet.rows}
    categories = {r.category for r in sheet.rows}
    if OUTPUT not in categories:
        yield Finding("missing_output", ERROR, "产出指标为空：至少需要数量、质量、时效、成本指标各一条。", field="indicators", group=OUTPUT)
    else:
        for subcategory in REQUIRED_OUTPUT_SUBCATEGORIES:
            if (OUTPUT, subcategory) not in present:
                yield Finding(
                    "missing_output", ERROR, f"缺少产出指标中的“{subcategory}”。", field="indicators", group=f"{OUTPUT}/{subcategory}"
                )
    if BENEFIT not in categories:
        yield Finding("missing_benefit", ERROR, "效益指标为空：至少需要一条效益指标。", field="indicators", group=BENEFIT)
    if SATISFACTION not in categories:
        yield Finding("missing_satisfaction", ERROR, "满意度指标为空：至少需要一条满意度指标。", field="indicators", group=SATISFACTION)


@rule
def groups_not_split(sheet: SheetContent):
    """In the official table each 一级 and each 二级 group is one block of rows (merged cells): a group whose rows
    are separated by another group's is split."""
    for level, key in (("一级指标", lambda r: (r.category.strip(),)), ("二级指标", lambda r: (r.category.strip(), r.subcategory.strip()))):
        last_index: dict[tuple, int] = {}
        previous = None
        for index, row in enumerate(sheet.rows):
            current = key(row)
            if not all(current):
                previous = None
                continue
            if current != previous and current in last_index:
                label = "/".join(current)
                yield Finding(
                    "group_split", ERROR,
                    f"第 {index + 1} 行“{row.name}”属于{label}，但与同组的第 {last_index[current] + 1} 行之间隔着其他{level}："
                    f"同一{level}的行应连在一起（拖到该组内）。",
                    row=index, field="subcategory" if len(current) == 2 else "category", group=label,
                )
                if len(current) == 1:
                    break  # one finding per split 一级 group is enough; its 二级 groups are reported below
            last_index[current] = index
            previous = current


@rule
def target_values_parse(sheet: SheetContent):
    for index, row in enumerate(sheet.rows):
        parsed = values.parse_target_value(row.target_value)
        if parsed.kind == values.EMPTY:
            yield Finding("value_empty", ERROR, f"指标“{row.name}”的指标值未填写。", row=index, field="target_value")
        elif parsed.kind == values.UNPARSED:
            yield Finding(
                "value_unparsed",
                ERROR,
                f"指标“{row.name}”的指标值“{row.target_value}”无法识别：请写成“≥98%”“≤8万元”“30个”的形式，"
                "或使用“逐年改善”等定性表述。",
                row=index, field="target_value",
            )


@rule
def cost_is_money_within_budget(sheet: SheetContent):
    for index, row in enumerate(sheet.rows):
        if row.subcategory != COST:
            continue
        parsed = values.parse_target_value(row.target_value)
        if parsed.kind == values.QUALITATIVE:
            continue  # e.g. 参照政府采购成本控制
        amount = parsed.in_wan_yuan()
        if amount is None:
            if parsed.kind in (values.QUANTITATIVE, values.DATE_RANGE):
                yield Finding(
                    "cost_not_money",
                    ERROR,
                    f"成本指标“{row.name}”的指标值“{row.target_value}”应为金额（万元或元），"
                    f"例如“≤{_money(sheet.budget_total)}万元”。",
                    row=index, field="target_value",
                )
            continue
        if amount > sheet.budget_total:
            yield Finding(
                "cost_over_budget",
                ERROR,
                f"成本指标“{row.name}”的上限 {values.format_number(amount)} 万元超过预算数 {_money(sheet.budget_total)} 万元。",
                row=index, field="target_value",
            )
        elif sheet.budget_total > 0 and amount < sheet.budget_total * COST_FAR_BELOW_RATIO:
            yield Finding(
                "cost_far_below_budget",
                WARNING,
                f"成本指标“{row.name}”的上限 {values.format_number(amount)} 万元远低于预算数 {_money(sheet.budget_total)} 万元，请核实。",
                row=index, field="target_value",
            )


@rule
def satisfaction_high_enough(sheet: SheetContent):
    for index, row in enumerate(sheet.rows):
        if row.category != SATISFACTION:
            continue
        parsed = values.parse_target_value(row.target_value)
        if parsed.is_percent and parsed.number < SATISFACTION_WARNING_BELOW:
            yield Finding(
                "satisfaction_low",
                WARNING,
                f"满意度指标“{row.name}”的目标 {row.target_value} 低于 90%，请说明理由。",
                row=index, field="target_value",
            )


@rule
def rows_not_duplicated(sheet: SheetContent):
    def key(row: Row):
        return (row.category.strip(), row.subcategory.strip(), row.name.strip())

    counts = Counter(key(row) for row in sheet.rows)
    for index, row in enumerate(sheet.rows):
        if counts[key(row)] > 1:
            first = next(i for i, other in enumerate(sheet.rows) if key(other) == key(row))
            if first != index:
                yield Finding(
                    "row_duplicated",
                    ERROR,
                    f"第 {index + 1} 行指标“{row.name}”与第 {first + 1} 行重复。",
                    row=index, field="name",
                )


@rule
def rows_complete(sheet: SheetContent):
    for index, row in enumerate(sheet.rows):
        missing = [label for label, text in (("一级指标", row.category), ("二级指标", row.subcategory), ("三级指标", row.name)) if not text.strip()]
        if missing:
            field = {"一级指标": "category", "二级指标": "subcategory", "三级指标": "name"}[missing[0]]
            yield Finding("row_incomplete", ERROR, f"第 {index + 1} 行缺少{'、'.join(missing)}。", row=index, field=field)
