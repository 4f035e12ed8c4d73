"""The 项目支出绩效自评表 as plain data: what the public page, the Word 自评表 (``exports.evaluation_files``) and the
Excel summaries show of one self-evaluation, in the common layout (四川's form 510000_0013zp and the counties' copies):
项目名称, 主管部门, 实施单位, 年度目标; 预算执行情况 (年初预算数, 调整后预算数, 执行数, 分值 10, 执行率, 得分, the reason
below 90%); per indicator 一级/二级/三级, 指标性质, 指标值, 度量单位, 实际完成值, 分值, 得分, 未完成原因分析; 总分 and
等级; 评价结论, 存在问题, 改进措施. No writes; numbers stay Decimals (the writers format them).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from evaluations import scorecard, scoring
from projects import values
from projects.values import format_number

NATURE = {scoring.POSITIVE: "≥", scoring.REVERSE: "≤", scoring.EQUAL: "＝", scoring.QUALITATIVE: "定性"}


@dataclass
class RowTable:
    category: str
    subcategory: str
    name: str
    nature: str  # 指标性质: ≥ ≤ ＝ 定性 (how the row is scored)
    value: str  # 指标值: the number (or the qualitative phrase)
    unit: str  # 度量单位
    target: str  # 指标值 as written on the sheet (调整后 when adjusted)
    original_target: str  # 年初 (shown when it differs)
    actual: str  # 实际完成值 (a qualitative row: its level)
    weight: Decimal | None
    score: Decimal | None
    reason: str


@dataclass
class EvaluationTable:
    id: int
    year: int
    title: str  # 项目名称
    project_code: str
    agency_code: str
    agency_name: str  # 主管部门
    unit: str  # 实施单位 (the agency, and the section that carried it out)
    goal: str  # 年度目标 (the sheet's 绩效目标)
    budget: Decimal  # 年初预算数
    adjusted_budget: Decimal  # 调整后预算数
    spent: Decimal | None  # 执行数
    rate: Decimal | None  # 执行率 (%)
    budget_score: Decimal | None
    spent_reason: str
    rows: list[RowTable] = field(default_factory=list)
    total: Decimal | None = None
    grade: str = ""
    conclusion: str = ""
    problems: str = ""
    improvements: str = ""
    state_label: str = ""
    public_on: datetime.date | None = None  # 公开日期, when public

    @property
    def indicators_score(self) -> Decimal | None:
        if self.total is None or self.budget_score is None:
            return None
        return self.total - self.budget_score


def _split(target: str) -> tuple[str, str, str]:
    """(指标性质, 指标值, 度量单位) of a target as written."""
    parsed = values.parse_target_value(target)
    rule = scorecard.rule_of(target)
    if parsed.kind == values.QUANTITATIVE and parsed.number is not None:
        return NATURE[rule], format_number(parsed.number), parsed.unit
    return NATURE[scoring.QUALITATIVE], target, ""


def rate(*, spent, adjusted_budget) -> Decimal | None:
    """执行率 (%, 2 decimals) = 执行数 ÷ 调整后预算数 (None without 执行数 or a budget)."""
    if spent is None or not adjusted_budget:
        return None
    return scoring.round2(spent / adjusted_budget * 100)


def rate_of(evaluation) -> Decimal | None:
    """执行率 (%, 2 decimals) of a self-evaluation."""
    return rate(spent=evaluation.spent, adjusted_budget=evaluation.adjusted_budget)


def evaluation_table(evaluation, *, state_label: str = "", public_on: datetime.date | None = None) -> EvaluationTable:
    """The 自评表 of a saved self-evaluation (its sheet, project, agency and section read with it)."""
    sheet = evaluation.sheet
    rows = []
    for row in evaluation.rows.all():
        nature, value, unit = _split(row.target)
        qualitative = nature == NATURE[scoring.QUALITATIVE]
        actual = (scoring.LEVELS[row.level][0] if row.level in scoring.LEVELS else row.level) if qualitative else row.actual
        rows.append(RowTable(
            row.category, row.subcategory, row.name, nature, value, unit, row.target,
            row.original_target if row.original_target and row.original_target != row.target else "",
            actual, row.weight, row.score, row.reason,
        ))
    section = evaluation.section.name if evaluation.section_id else ""
    return EvaluationTable(
        id=evaluation.pk, year=sheet.fiscal_year.year, title=sheet.project.name, project_code=sheet.project.code,
        agency_code=evaluation.agency.code, agency_name=evaluation.agency.name,
        unit=f"{evaluation.agency.name}{('（' + section + '）') if section else ''}", goal=sheet.goal,
        budget=evaluation.budget, adjusted_budget=evaluation.adjusted_budget, spent=evaluation.spent,
        rate=rate_of(evaluation), budget_score=evaluation.budget_score, spent_reason=evaluation.spent_reason, rows=rows,
        total=evaluation.total, grade=evaluation.grade, conclusion=evaluation.conclusion, problems=evaluation.problems,
        improvements=evaluation.improvements, state_label=state_label, public_on=public_on,
    )


def flags(*, total, budget_score, rate) -> tuple[bool, bool]:
    """(red, yellow) of a scored self-evaluation: red where results look better than spending supports (the indicators'
    score ÷ 90 exceeds 执行率 by more than 5 points), yellow where less than 80% of the budget was spent."""
    if rate is None:
        return False, False
    red = False
    if total is not None and budget_score is not None:
        red = (total - budget_score) / scoring.INDICATORS_TOTAL * 100 - rate > 5
    return red, rate < 80


@dataclass
class DepartmentTable:
    """The 部门整体支出绩效自评表 in the common layout: the agency and year, its budget line (its published sheets'
    budgets and 执行数), the 总体绩效目标, one row per goal (scored as an indicator), the total, grade and texts."""

    id: int
    year: int
    agency_code: str
    agency_name: str
    unit: str  # 填报单位 (the agency's line)
    goal: str  # 年度总体目标 (the department-wide goals' 总体绩效目标)
    budget: Decimal
    adjusted_budget: Decimal
    spent: Decimal | None
    rate: Decimal | None
    budget_score: Decimal | None
    spent_reason: str
    rows: list[RowTable] = field(default_factory=list)
    total: Decimal | None = None
    grade: str = ""
    conclusion: str = ""
    problems: str = ""
    improvements: str = ""
    state_label: str = ""
    public_on: datetime.date | None = None

    @property
    def title(self) -> str:
        return f"{self.agency_name}{self.year}年部门整体自评"


def department_table(evaluation, *, state_label: str = "", public_on: datetime.date | None = None) -> DepartmentTable:
    """The 部门整体自评表 of a saved department-wide self-evaluation (its agency, year and goals read with it)."""
    rows = []
    for row in evaluation.rows.all():
        nature, value, unit = _split(row.target)
        qualitative = nature == NATURE[scoring.QUALITATIVE]
        actual = (scoring.LEVELS[row.level][0] if row.level in scoring.LEVELS else row.level) if qualitative else row.actual
        rows.append(RowTable(row.category, "", row.name, nature, value, unit, row.target, "", actual, row.weight,
                             row.score, row.reason))
    goals = evaluation.goals
    overall = "\n".join(goals.paragraphs(goals.overall)) if goals is not None else ""
    return DepartmentTable(
        id=evaluation.pk, year=evaluation.fiscal_year.year, agency_code=evaluation.agency.code,
        agency_name=evaluation.agency.name, unit=evaluation.agency.unit_line, goal=overall, budget=evaluation.budget,
        adjusted_budget=evaluation.adjusted_budget, spent=evaluation.spent, rate=rate_of(evaluation),
        budget_score=evaluation.budget_score, spent_reason=evaluation.spent_reason, rows=rows, total=evaluation.total,
        grade=evaluation.grade, conclusion=evaluation.conclusion, problems=evaluation.problems,
        improvements=evaluation.improvements, state_label=state_label, public_on=public_on,
    )
