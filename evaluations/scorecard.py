"""A self-evaluation scored as far as it is filled in, by the pure rules of ``evaluations.scoring``.

A draft is saved before every value is typed: a row without its actual value (or, qualitative, without its level and
score) has no score yet and is listed in ``Scorecard.missing``, which is the document's content check (a submission
is refused while anything is missing). What is typed wrong is refused at once, as ``scoring`` refuses it: a score
outside its level's band, a unit other than the target's, weights not totalling 90, a bad number (``AppError``, 400,
Chinese). Plain data in, plain data out: no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core import errors
from evaluations import scoring
from evaluations.scoring import IndicatorRow
from projects import values


@dataclass
class RowResult:
    name: str
    rule: str  # scoring.POSITIVE / REVERSE / EQUAL / QUALITATIVE
    weight: Decimal
    score: Decimal | None  # None until its values are typed
    how: str  # the rule and the numbers ("" until scored)
    band: tuple[Decimal, Decimal, bool] | None = None  # a qualitative row's band for its level


@dataclass
class Scorecard:
    rows: list[RowResult]
    budget: scoring.BudgetScore | None
    total: Decimal | None
    grade: str
    missing: list[str] = field(default_factory=list)  # what a submission still needs (Chinese)


def rule_of(target: str) -> str:
    parsed = scoring.parse_target(target)
    return scoring.rule_for(parsed) if parsed.kind != values.EMPTY else scoring.QUALITATIVE


def score(*, rows: list[IndicatorRow], adjusted_budget, spent, spent_reason: str = "", reasons=(), texts=()) -> Scorecard:
    """Score what is filled in; refuse what is typed wrong. ``reasons``: each row's 未完成原因分析; ``texts``:
    (label, value) of the texts a submission needs (评价结论, 存在问题, 改进措施)."""
    missing: list[str] = []
    weights = []
    for row in rows:
        if row.weight is None or str(row.weight).strip() == "":
            raise errors.invalid(f"请为“{row.name}”填写分值。")
        weights.append(scoring.amount(row.weight, f"“{row.name}”的分值"))
    scoring.check_weights(weights)
    results = []
    reasons = list(reasons) or [""] * len(rows)
    for row, weight, reason in zip(rows, weights, reasons):
        result = _row(row, weight, missing)
        if result.score is not None and result.score < weight and not (reason or "").strip():
            missing.append(f"“{row.name}”未得满分（{result.score} / {weight}），请填写未完成原因分析。")
        results.append(result)
    budget = None
    if spent is None or str(spent).strip() == "":
        missing.append("请填写预算执行情况的执行数。")
    else:
        budget = scoring.budget_score(adjusted_budget=adjusted_budget, spent=spent)
        if budget.reason_required and not (spent_reason or "").strip():
            missing.append(f"执行率 {budget.rate}% 低于 90%，请填写执行率偏低原因。")
    for label, text in texts:
        if not (text or "").strip():
            missing.append(f"请填写{label}。")
    total, grade = None, ""
    if budget is not None and all(r.score is not None for r in results):
        total = sum((r.score for r in results), budget.score)
        grade = scoring.grade_for(total)
    return Scorecard(results, budget, total, grade, missing)


def _row(row: IndicatorRow, weight: Decimal, missing: list[str]) -> RowResult:
    rule = rule_of(row.target)
    if rule == scoring.QUALITATIVE:
        level = scoring.level_code(row.level)
        if row.level and not level:
            raise errors.invalid(f"“{row.name}”的评价等级应为达成、部分达成或未达成。")
        band = scoring.level_band(level, weight) if level else None
        if not level or row.score is None or str(row.score).strip() == "":
            missing.append(f"“{row.name}”是定性指标，请选择评价等级并在其分值区间内填写得分。")
            return RowResult(row.name, rule, weight, None, "", band)
        scored = scoring.row_score(row, weight=weight)
        return RowResult(row.name, rule, weight, scored.score, scored.how, band)
    if not (row.actual or "").strip():
        missing.append(f"请填写“{row.name}”的实际完成值。")
        return RowResult(row.name, rule, weight, None, "")
    scored = scoring.row_score(IndicatorRow(row.name, row.category, row.target, actual=row.actual), weight=weight)
    return RowResult(row.name, rule, weight, scored.score, scored.how)


def rows_of(evaluation) -> list[IndicatorRow]:
    return [
        IndicatorRow(r.name, r.category, r.target, actual=r.actual, weight=r.weight, level=r.level, score=r.score,
                     subcategory=r.subcategory, original_target=r.original_target)
        for r in evaluation.rows.all()
    ]


def of(evaluation) -> Scorecard:
    """The saved evaluation's scorecard (its rows as saved)."""
    return score(
        rows=rows_of(evaluation), adjusted_budget=evaluation.adjusted_budget, spent=evaluation.spent,
        spent_reason=evaluation.spent_reason, reasons=[r.reason for r in evaluation.rows.all()], texts=evaluation.texts(),
    )


def content_errors(evaluation) -> list[str]:
    """The content check (the engine's ``approval_errors``): what is missing, or what no longer scores."""
    try:
        return of(evaluation).missing
    except errors.AppError as error:
        return [error.message]
