"""绩效自评 scoring (issue 22): pure functions over plain data, no database.

A self-evaluation is a budget line and indicator rows. Each row carries the target value in force (指标值: the
调整后 value when an adjustment was approved, the caller passes it; 年初 may ride along for display only), the
actual value as typed (实际完成值: ``96%``, ``9万元``, ``1个`` or a qualitative phrase, read by the same parser as
targets, ``projects.values.parse_target_value``), its weight (分值) and, for a qualitative row, the level and the
score the evaluator entered. ``evaluation_score`` scores it all; every score carries ``how``, the rule and the
numbers ("9000 ÷ 10000 × 30 = 27.00"), for the page to show beside it. Bad input raises ``core.errors.AppError``
(400) with a Chinese message.

Sources (``/work/shared/RULES.md`` → 绩效自评; marks: [F] the source says it, [2nd] a secondary source, [U] not
confirmed):
- positive, reverse and qualitative rules, 2 decimals per row: the provincial performance module [F];
- budget score 执行率 × 10 capped at 10, 执行率 = 执行数 / 调整后预算数 [F]; a reason below 90% (四川 form) [F];
- default weights 执行率 10, 产出 50, 效益 30, 满意度 10, split equally in a category, indicators total 90 [F as
  published forms show; that 财预〔2020〕10号 fixes them is U → ``DEFAULT_WEIGHTS`` is an argument];
- grades 优 ≥ 90, 良 80–<90, 中 60–<80, 差 < 60 [F];
- equal (=) targets: no source found [U]; below the target it scores as a positive row, above it as a reverse row,
  i.e. (1 − |a − t| ÷ t) × w, at least 0;
- ``>`` scores as ``≥`` and ``<`` as ``≤`` (the module does; the issue says so) [F, one vendor's code];
- a target the parser cannot read as a number (a date range, an unrecognised phrase) is scored as qualitative:
  the evaluator judges it [U, our choice].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

from core import errors
from projects import values
from projects.values import format_number

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

# ---------------------------------------------------------------- vocabulary

POSITIVE, REVERSE, EQUAL, QUALITATIVE = "positive", "reverse", "equal", "qualitative"
RULE_LABELS = {POSITIVE: "正向指标", REVERSE: "反向指标", EQUAL: "等于型指标", QUALITATIVE: "定性指标"}

# the three groups of 一级指标 and their default weights; 执行率 has 10 of the 100 points
OUTPUT, BENEFIT, SATISFACTION = "产出指标", "效益指标", "满意度指标"
DEFAULT_WEIGHTS: Mapping[str, Decimal] = {OUTPUT: Decimal(50), BENEFIT: Decimal(30), SATISFACTION: Decimal(10)}
INDICATORS_TOTAL = Decimal(90)
BUDGET_POINTS = Decimal(10)
REASON_BELOW_RATE = Decimal("0.9")  # 执行率 below 90% needs a reason (四川 form) [F]

# qualitative levels: code -> (label, lower share of w, upper share of w, upper bound included)
ACHIEVED, PARTLY, NOT_ACHIEVED = "达成", "部分达成", "未达成"
LEVELS: Mapping[str, tuple[str, Decimal, Decimal, bool]] = {
    ACHIEVED: ("达成年度指标", Decimal("0.8"), Decimal(1), True),
    PARTLY: ("部分达成年度指标并具有一定效果", Decimal("0.6"), Decimal("0.8"), False),
    NOT_ACHIEVED: ("未达成年度指标且效果较差", Decimal(0), Decimal("0.6"), False),
}

EXCELLENT, GOOD, FAIR, POOR = "优", "良", "中", "差"
GRADES: Sequence[tuple[Decimal, str]] = ((Decimal(90), EXCELLENT), (Decimal(80), GOOD), (Decimal(60), FAIR), (Decimal(0), POOR))


# ---------------------------------------------------------------- input


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator of the 自评表 as the evaluator filled it (what a SelfEvaluation row will hold).

    ``target``: the 指标值 in force (调整后 when adjusted); ``original_target``: 年初, shown only. ``weight``: None
    takes the default split (``default_weights``). ``level`` (达成 / 部分达成 / 未达成, or the full label) and
    ``score`` are read for qualitative rows only: a score sent for a quantitative row is ignored."""

    name: str
    category: str
    target: str
    actual: str = ""
    weight: Decimal | int | str | None = None
    level: str = ""
    score: Decimal | int | str | None = None
    subcategory: str = ""
    original_target: str = ""


@dataclass(frozen=True)
class RowScore:
    name: str
    rule: str  # POSITIVE / REVERSE / EQUAL / QUALITATIVE
    weight: Decimal
    score: Decimal  # 2 decimals
    how: str  # the rule and the numbers

    @property
    def rule_label(self) -> str:
        return RULE_LABELS[self.rule]


@dataclass(frozen=True)
class BudgetScore:
    adjusted_budget: Decimal
    spent: Decimal
    rate: Decimal  # 执行率 as a percentage, 2 decimals
    score: Decimal  # out of 10, 2 decimals
    how: str
    reason_required: bool  # 执行率 below 90%


@dataclass(frozen=True)
class EvaluationScore:
    budget: BudgetScore
    rows: list[RowScore] = field(default_factory=list)
    indicators_score: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    grade: str = POOR
    how: str = ""


# ---------------------------------------------------------------- numbers


def _amount(value, what: str) -> Decimal:
    """A non-negative finite number with at most 2 decimals, from a Decimal, int or text."""
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise errors.invalid(f"{what}应为数字。") from None
    if not number.is_finite():
        raise errors.invalid(f"{what}应为数字。")
    if number < 0:
        raise errors.invalid(f"{what}不能为负数。")
    if number != number.quantize(CENT, rounding=ROUND_HALF_UP):
        raise errors.invalid(f"{what}最多保留两位小数。")
    return number


amount = _amount  # public: the evaluation's services read typed numbers as the rules do


def round2(number: Decimal) -> Decimal:
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def _n(number: Decimal) -> str:
    return format_number(number)


def _s(number: Decimal) -> str:
    """A score as shown: always 2 decimals."""
    return f"{round2(number):.2f}"


# ---------------------------------------------------------------- weights


def category_group(category: str) -> str | None:
    """The default-weight group of a 一级指标: 产出 (成本指标, a 一级 since 财预〔2021〕101号, counts with 产出 as
    it did as a 二级 under it [U]), 效益 or 满意度; None for anything else."""
    text = (category or "").strip()
    if text.startswith(("产出", "成本")):
        return OUTPUT
    if text.startswith("效益"):
        return BENEFIT
    if text.startswith("满意度"):
        return SATISFACTION
    return None


def default_weights(categories: Sequence[str], *, weights: Mapping[str, Decimal] = DEFAULT_WEIGHTS) -> list[Decimal]:
    """Each category's weight split equally among its rows, in cents, the spare cents to its first rows
    (产出 50 over 3 rows: 16.67, 16.67, 16.66), so a category's rows add up to its weight exactly.

    A group without rows leaves its points unassigned: the indicators then total less than 90 and the evaluator
    moves them (``check_weights`` refuses until they total 90)."""
    groups = [category_group(c) for c in categories]
    for category, group in zip(categories, groups):
        if group is None:
            raise errors.invalid(f"一级指标“{category}”不属于产出、效益、满意度指标，没有默认分值，请为它填写分值。")
    result: list[Decimal] = []
    seen: dict[str, int] = {}
    for group in groups:
        count = groups.count(group)
        cents = int(weights[group] * 100)
        base, spare = divmod(cents, count)
        index = seen.get(group, 0)
        seen[group] = index + 1
        result.append(Decimal(base + (1 if index < spare else 0)) / 100)
    return result


def row_weights(rows: Sequence[IndicatorRow], *, weights: Mapping[str, Decimal] = DEFAULT_WEIGHTS) -> list[Decimal]:
    """Each row's weight: as entered, or the default split of its category when not entered."""
    if all(row.weight is not None and str(row.weight).strip() != "" for row in rows):
        return [_amount(row.weight, f"“{row.name}”的分值") for row in rows]
    defaults = default_weights([row.category for row in rows], weights=weights) if rows else []
    return [
        _amount(row.weight, f"“{row.name}”的分值") if row.weight is not None and str(row.weight).strip() != "" else default
        for row, default in zip(rows, defaults)
    ]


def check_weights(weights: Iterable[Decimal], *, total: Decimal = INDICATORS_TOTAL) -> None:
    """The indicators' weights total ``total`` (90): else a Chinese refusal."""
    weights = list(weights)
    if not weights:
        raise errors.invalid("自评表没有绩效指标，无法评分。")
    got = sum(weights, Decimal(0))
    if got != total:
        raise errors.invalid(
            f"各项指标分值合计为 {_n(got)} 分，应为 {_n(total)} 分（另 {_n(BUDGET_POINTS)} 分为预算执行率），请调整分值。"
        )


# ---------------------------------------------------------------- one row


@lru_cache(maxsize=8192)
def parse_target(text: str) -> values.ParsedValue:
    """``projects.values.parse_target_value``, remembered: a province's sheets share a few thousand target texts, and a
    row's target is read for its rule and its score (the result is a frozen dataclass: sharing it is safe)."""
    return values.parse_target_value(text)


def _target(row: IndicatorRow) -> values.ParsedValue:
    parsed = parse_target(row.target)
    if parsed.kind == values.EMPTY:
        raise errors.invalid(f"“{row.name}”没有指标值，无法评分。")
    return parsed


def rule_for(parsed: values.ParsedValue) -> str:
    """Which rule scores a target: ≥ > and a bare value positive, ≤ < reverse, = equal, anything not a number
    qualitative."""
    if parsed.kind != values.QUANTITATIVE:
        return QUALITATIVE
    if parsed.operator in ("<=", "<"):
        return REVERSE
    if parsed.operator == "=":
        return EQUAL
    return POSITIVE


def actual_number(row: IndicatorRow, target: values.ParsedValue) -> values.Actual:
    """The row's actual and target in the target's unit (``projects.values.read_actual``); refusals in Chinese."""
    try:
        return values.read_actual(target, row.actual, name=row.name)
    except values.ActualValueError as problem:
        raise errors.invalid(str(problem)) from None


def quantitative_score(rule: str, *, actual: Decimal, target: Decimal, weight: Decimal) -> tuple[Decimal, str]:
    """The unrounded score of a number against a target and the arithmetic shown, by POSITIVE / REVERSE / EQUAL.

    positive: a ≥ t → w, else a ÷ t × w [F]; reverse: a ≤ t → w, t < a < 2t → (1 − (a − t) ÷ t) × w, a ≥ 2t → 0
    [F]; equal: a = t → w, else (1 − |a − t| ÷ t) × w, at least 0 [U]."""
    a, t, w = actual, target, weight
    if rule == POSITIVE:
        if a >= t:
            return w, f"{_n(a)} ≥ {_n(t)}，得满分 {_s(w)}"
        return a / t * w, f"{_n(a)} ÷ {_n(t)} × {_n(w)} = {_s(a / t * w)}"
    if rule == REVERSE:
        if a <= t:
            return w, f"{_n(a)} ≤ {_n(t)}，得满分 {_s(w)}"
        if a >= 2 * t:
            return Decimal(0), f"{_n(a)} ≥ 2 × {_n(t)}，得 0.00"
        score = (1 - (a - t) / t) * w
        return score, f"(1 − ({_n(a)} − {_n(t)}) ÷ {_n(t)}) × {_n(w)} = {_s(score)}"
    if rule == EQUAL:
        if a == t:
            return w, f"{_n(a)} = {_n(t)}，得满分 {_s(w)}"
        if t == 0 or abs(a - t) >= t:
            return Decimal(0), f"{_n(a)} 偏离 {_n(t)} 达 100% 及以上，得 0.00"
        score = (1 - abs(a - t) / t) * w
        return score, f"(1 − |{_n(a)} − {_n(t)}| ÷ {_n(t)}) × {_n(w)} = {_s(score)}"
    raise ValueError(rule)


def level_code(level: str) -> str:
    """达成 / 部分达成 / 未达成 from the code or its full label; '' if neither."""
    text = (level or "").strip()
    for code, (label, *_rest) in LEVELS.items():
        if text in (code, label):
            return code
    return ""


def level_band(level: str, weight: Decimal) -> tuple[Decimal, Decimal, bool]:
    """(lower, upper, upper included) of a level's score band for a row of ``weight``."""
    _label, low, high, closed = LEVELS[level]
    return low * weight, high * weight, closed


def _band_text(low: Decimal, high: Decimal, closed: bool) -> str:
    return f"[{_n(low)}, {_n(high)}{']' if closed else ')'}"


def qualitative_score(row: IndicatorRow, *, weight: Decimal) -> tuple[Decimal, str]:
    """The evaluator's score, refused outside the chosen level's band [F]."""
    level = level_code(row.level)
    if not level:
        raise errors.invalid(f"“{row.name}”是定性指标，请选择评价等级：达成、部分达成或未达成。")
    if row.score is None or str(row.score).strip() == "":
        raise errors.invalid(f"“{row.name}”是定性指标，请在所选等级的分值区间内填写得分。")
    score = _amount(row.score, f"“{row.name}”的得分")
    low, high, closed = level_band(level, weight)
    if score < low or score > high or (score == high and not closed):
        raise errors.invalid(
            f"“{row.name}”评为“{LEVELS[level][0]}”，得分应在 {_band_text(low, high, closed)} 之间，"
            f"填写的 {_n(score)} 分不在此区间。"
        )
    return score, f"定性指标，评为“{level}”，得分区间 {_band_text(low, high, closed)}，评价人打分 {_s(score)}"


def row_score(row: IndicatorRow, *, weight: Decimal) -> RowScore:
    """Score one row with its weight (see ``row_weights``), rounded to 2 decimals (ROUND_HALF_UP)."""
    target = _target(row)
    rule = rule_for(target)
    if rule == QUALITATIVE:
        score, how = qualitative_score(row, weight=weight)
    else:
        actual = actual_number(row, target)
        score, how = quantitative_score(rule, actual=actual.number, target=actual.target, weight=weight)
        how = f"{RULE_LABELS[rule]}：{how}{actual.note}"
    return RowScore(row.name, rule, weight, round2(score), how)


# ---------------------------------------------------------------- budget, total, grade


def budget_score(*, adjusted_budget, spent) -> BudgetScore:
    """预算执行情况: 执行率 = 执行数 ÷ 调整后预算数, score 执行率 × 10 capped at 10 [F]; amounts in 万元."""
    budget = _amount(adjusted_budget, "调整后预算数")
    amount = _amount(spent, "执行数")
    if budget == 0:
        raise errors.invalid("调整后预算数为 0，无法计算预算执行率。")
    rate = amount / budget
    score = min(rate * BUDGET_POINTS, BUDGET_POINTS)
    capped = "（上限 10 分）" if rate * BUDGET_POINTS > BUDGET_POINTS else ""
    how = f"执行率 = {_n(amount)} ÷ {_n(budget)} = {round2(rate * HUNDRED):.2f}%；{_n(BUDGET_POINTS)} × {round2(rate * HUNDRED):.2f}% = {_s(score)}{capped}"
    return BudgetScore(budget, amount, round2(rate * HUNDRED), round2(score), how, rate < REASON_BELOW_RATE)


def grade_for(total: Decimal) -> str:
    """优 ≥ 90, 良 80–<90, 中 60–<80, 差 < 60 [F]."""
    for floor, grade in GRADES:
        if total >= floor:
            return grade
    return POOR


def evaluation_score(
    *,
    rows: Sequence[IndicatorRow],
    adjusted_budget,
    spent,
    weights: Mapping[str, Decimal] = DEFAULT_WEIGHTS,
    indicators_total: Decimal = INDICATORS_TOTAL,
) -> EvaluationScore:
    """Score a whole 自评表: the budget line, every row (weights as entered or the default split, totalling 90),
    the total (the rows' rounded scores plus the budget score) and the grade. Pass the 调整后 targets and budget
    when an adjustment was approved."""
    budget = budget_score(adjusted_budget=adjusted_budget, spent=spent)
    row_weight = row_weights(rows, weights=weights)
    check_weights(row_weight, total=indicators_total)
    scored = [row_score(row, weight=w) for row, w in zip(rows, row_weight)]
    indicators = sum((r.score for r in scored), Decimal(0))
    total = indicators + budget.score
    grade = grade_for(total)
    parts = " + ".join(_s(s) for s in [budget.score, *(r.score for r in scored)])
    how = f"总分 = {parts} = {_s(total)}，等级“{grade}”"
    return EvaluationScore(budget, scored, indicators, total, grade, how)
