"""双监控 grading by a rule pack (issue 21): pure functions, no database.

``pack`` is anything with a ``RulePack``'s rule attributes (``spending_rule``, ``spending_thresholds``,
``attainment_rule``, ``attainment_thresholds``, ``reason_colours``, ``points``): a ``RulePack`` row, or an unsaved
one in a test. Every light carries ``how``, the rule and the numbers, for the page to show.

Sources (``/work/shared/RULES.md`` → 双监控; [F] the source says it, [2nd] a secondary source, "as reported",
[U] not confirmed, hence a threshold in the pack rather than a constant here):
- ``below_plan`` (today's default): on or ahead of the sheet's plan green, up to 10 points behind yellow, more red —
  ``spending.services.level_for`` as it stands, reproduced exactly [F: the product's own rule];
- ``below_line`` (四川, 川财绩〔2025〕10号 and the 运行监控管理办法 interpretation [2nd]): cumulative spending below the
  point's line (25/40/60/80% at the end of April/June/August/October) is a warning (red);
- ``time_ratio`` (山西, the module's built-in rule text [F]): v = 执行率 ÷ (月份/12) × 100; v < 60 red, 60–<80
  yellow, ≥ 80 green;
- attainment ``standard_ratio`` (山西 [F]): 标准值 = 年度指标值 × 月份/12, ratio = 当前完成值 ÷ 标准值; for 数量, 效益
  and 满意度 indicators < 60% red, 60–<80% yellow, 80–<120% green, ≥ 120% blue; 质量, 时效, 成本 and ≤/<
  indicators: within the bound green, else red; qualitative 达到 green, 部分达到 yellow, 未达到 red. Whether a
  percentage target (满意度 ≥90%) is prorated too is [U]: the text says so, ``prorate_percent`` in the pack;
- attainment ``gap_with_spending`` (四川 [2nd]; "points" [U]): attainment progress (当前完成值 ÷ 年度指标值) and
  spending progress differ by more than ``max_gap`` points → the pack's colour (red); applied to ≥, bare and =
  number targets that are not percentages (a rate has no progress through the year) [U, our choice];
- attainment ``deviation_note`` (河北, the module's Hebei mode [F]): a ≥ target's current value more than
  ``over_percent`` (15%) above the annual value needs a 偏差说明; it gives no colour;
- the sheet's light is its worst: red, then yellow, then blue, then green [U: blue's place is our choice; it asks
  for no reason];
- reasons: a light whose colour the pack lists in ``reason_colours`` needs one (山西: red and yellow [F]).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

from projects import values
from projects.values import format_number

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
TWELVE = Decimal(12)

RED, YELLOW, BLUE, GREEN, NONE = "red", "yellow", "blue", "green", ""
COLOUR_LABELS = {RED: "红灯", YELLOW: "黄灯", BLUE: "蓝灯", GREEN: "绿灯", NONE: "不评价"}
COLOURS = (RED, YELLOW, BLUE, GREEN)
SEVERITY = {RED: 4, YELLOW: 3, BLUE: 2, GREEN: 1, NONE: 0}

# spending rules
BELOW_PLAN, BELOW_LINE, TIME_RATIO = "below_plan", "below_line", "time_ratio"
SPENDING_RULES = {
    BELOW_PLAN: "低于支出计划（落后不超过阈值为黄灯，超过为红灯）",
    BELOW_LINE: "累计支出低于时点预警线（预警）",
    TIME_RATIO: "执行率 ÷ (月份/12) × 100 分档",
}
# attainment rules
NO_ATTAINMENT, STANDARD_RATIO, GAP_WITH_SPENDING, DEVIATION_NOTE = "none", "standard_ratio", "gap_with_spending", "deviation_note"
ATTAINMENT_RULES = {
    NO_ATTAINMENT: "不评价指标完成情况",
    STANDARD_RATIO: "当前完成值 ÷ 标准值（年度指标值 × 月份/12）分档",
    GAP_WITH_SPENDING: "目标完成进度与支出进度偏差",
    DEVIATION_NOTE: "超过正向指标值一定比例需作偏差说明",
}
# the thresholds each rule reads: name -> (label, kind) with kind "number", "colour", "bool" or "words"
SPENDING_THRESHOLDS = {
    BELOW_PLAN: {"yellow_max_behind": ("黄灯最多落后（百分点）", "number")},
    BELOW_LINE: {"colour": ("低于预警线的灯色", "colour")},
    TIME_RATIO: {"red_below": ("低于此值为红灯", "number"), "yellow_below": ("低于此值为黄灯", "number")},
}
ATTAINMENT_THRESHOLDS = {
    NO_ATTAINMENT: {},
    STANDARD_RATIO: {
        "red_below": ("低于此比例（%）为红灯", "number"),
        "yellow_below": ("低于此比例（%）为黄灯", "number"),
        "blue_from": ("达到此比例（%）为蓝灯", "number"),
        "ratio_kinds": ("按比例分档的指标（二级指标关键词）", "words"),
        "bound_kinds": ("按是否在界限内评价的指标（二级指标关键词）", "words"),
        "prorate_percent": ("百分比指标也按月份折算标准值", "bool"),
    },
    GAP_WITH_SPENDING: {"max_gap": ("最大偏差（百分点）", "number"), "colour": ("超过偏差的灯色", "colour")},
    DEVIATION_NOTE: {"over_percent": ("超过正向指标值的比例（%）", "number")},
}

# qualitative levels of a monitoring report (山西's wording [F]): code -> (label, colour)
REACHED, PARTLY_REACHED, NOT_REACHED = "达到", "部分达到", "未达到"
QUALITATIVE_LEVELS = {
    REACHED: ("达到预期目标", GREEN),
    PARTLY_REACHED: ("部分达到预期目标并具备一定效果", YELLOW),
    NOT_REACHED: ("未达到预期目标", RED),
}


@dataclass(frozen=True)
class Light:
    colour: str  # RED YELLOW BLUE GREEN, or NONE when the rule does not grade this
    how: str  # the rule and the numbers
    reason_required: bool = False
    value: Decimal | None = None  # the number graded (v, a ratio %, a gap), 2 decimals

    @property
    def label(self) -> str:
        return COLOUR_LABELS[self.colour]


@dataclass(frozen=True)
class IndicatorProgress:
    """One indicator at a monitoring point: its annual target (the value in force), what it has reached."""

    name: str
    target: str
    current: str = ""  # 当前完成值 as typed (``96%``, ``9000件``)
    subcategory: str = ""  # 二级指标 (数量指标, 质量指标, …)
    category: str = ""  # 一级指标
    level: str = ""  # qualitative targets: 达到 / 部分达到 / 未达到 (or the full label)


class GradingError(ValueError):
    """Input a light cannot be computed from; ``str()`` is the Chinese message."""


def _n(number: Decimal) -> str:
    return format_number(number)


def _r(number: Decimal) -> Decimal:
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def _d(thresholds: dict, name: str) -> Decimal:
    return Decimal(str(thresholds[name]))


def _with_reason(pack, colour: str, how: str, value: Decimal | None = None, *, required: bool = False) -> Light:
    return Light(colour, how, required or colour in (pack.reason_colours or ()), value)


# ---------------------------------------------------------------- spending


def spending_light(pack, *, point_date: datetime.date, line: Decimal, planned: Decimal | None, actual: Decimal) -> Light:
    """The spending light at a monitoring point.

    ``actual``: cumulative spending as a % of the budget (a point passed without a report counts 0); ``planned``:
    the sheet's own plan at the point (None: the point's line); ``line``: the pack's expected cumulative % at the
    point; ``point_date``: its date (山西 reads its month)."""
    thresholds = pack.spending_thresholds or {}
    rule = pack.spending_rule
    if rule == BELOW_PLAN:
        plan = line if planned is None else planned
        behind = plan - actual
        limit = _d(thresholds, "yellow_max_behind")
        if behind <= 0:
            colour, how = GREEN, f"实际 {_n(actual)}% ≥ 计划 {_n(plan)}%"
        elif behind <= limit:
            colour, how = YELLOW, f"实际 {_n(actual)}% 低于计划 {_n(plan)}%，落后 {_n(behind)} 个百分点（不超过 {_n(limit)}）"
        else:
            colour, how = RED, f"实际 {_n(actual)}% 低于计划 {_n(plan)}%，落后 {_n(behind)} 个百分点（超过 {_n(limit)}）"
        return _with_reason(pack, colour, how, _r(max(behind, Decimal(0))))
    if rule == BELOW_LINE:
        if actual < line:
            colour = thresholds.get("colour", RED)
            return _with_reason(pack, colour, f"累计支出 {_n(actual)}% 低于预警线 {_n(line)}%，预警", _r(actual))
        return _with_reason(pack, GREEN, f"累计支出 {_n(actual)}% 不低于预警线 {_n(line)}%", _r(actual))
    if rule == TIME_RATIO:
        month = point_date.month
        v = actual / (Decimal(month) / TWELVE)
        red, yellow = _d(thresholds, "red_below"), _d(thresholds, "yellow_below")
        colour = RED if v < red else YELLOW if v < yellow else GREEN
        how = f"v = {_n(actual)}% ÷ ({month}/12) × 100 = {_r(v):.2f}（<{_n(red)} 红灯，{_n(red)}–<{_n(yellow)} 黄灯，≥{_n(yellow)} 绿灯）"
        return _with_reason(pack, colour, how, _r(v))
    raise ValueError(f"unknown spending rule {rule!r}")


def spending_measure(pack, *, point_date: datetime.date, line: Decimal) -> str:
    """What spending at a point is measured against under the pack's rule, in the county table's words: 四川's
    预警线, 山西's 执行进度比 v, today's (and 河北's) each sheet's own plan."""
    thresholds = pack.spending_thresholds or {}
    rule = pack.spending_rule
    if rule == BELOW_LINE:
        return f"预警线 {_n(line)}%"
    if rule == TIME_RATIO:
        red, yellow = _n(_d(thresholds, "red_below")), _n(_d(thresholds, "yellow_below"))
        return f"执行进度比 v = 执行率 ÷ ({point_date.month}/12) × 100（<{red} 红灯，{red}–<{yellow} 黄灯，≥{yellow} 绿灯）"
    limit = _n(_d(thresholds, "yellow_max_behind")) if "yellow_max_behind" in thresholds else "10"
    return f"对照各表的资金支出计划（默认 {_n(line)}%；落后 ≤{limit} 个百分点黄灯，超过红灯）"


# ---------------------------------------------------------------- attainment


def level_code(level: str) -> str:
    text = (level or "").strip()
    for code, (label, _colour) in QUALITATIVE_LEVELS.items():
        if text in (code, label):
            return code
    return ""


def _read(row: IndicatorProgress, target: values.ParsedValue) -> values.Actual:
    try:
        return values.read_actual(target, row.current, name=row.name, what="当前完成值")
    except values.ActualValueError as problem:
        raise GradingError(str(problem)) from None


def _qualitative(pack, row: IndicatorProgress) -> Light:
    level = level_code(row.level)
    if not level:
        raise GradingError(f"“{row.name}”是定性指标，请选择完成情况：达到、部分达到或未达到预期目标。")
    label, colour = QUALITATIVE_LEVELS[level]
    return _with_reason(pack, colour, f"定性指标：{label}")


def _kind_of(row: IndicatorProgress, words: Iterable[str]) -> bool:
    text = f"{row.subcategory} {row.category}"
    return any(word and word in text for word in words)


def attainment_light(pack, row: IndicatorProgress, *, point_date: datetime.date, spending: Decimal | None = None) -> Light:
    """The light of one indicator at a monitoring point. ``spending``: the sheet's cumulative spending % (四川's
    rule compares with it). Raises ``GradingError`` when the current value cannot be read against the target."""
    rule = pack.attainment_rule
    thresholds = pack.attainment_thresholds or {}
    if rule == NO_ATTAINMENT:
        return Light(NONE, "本规则包不评价指标完成情况")
    target = values.parse_target_value(row.target)
    quantitative = target.kind == values.QUANTITATIVE
    if rule == STANDARD_RATIO:
        if not quantitative:
            return _qualitative(pack, row)
        current = _read(row, target)
        a, t = current.number, current.target
        reverse = target.operator in ("<=", "<")
        if reverse or _kind_of(row, thresholds.get("bound_kinds", ())):
            inside = {"<=": a <= t, "<": a < t, ">": a > t, "=": a == t}.get(target.operator, a >= t)
            symbol = values.OPERATOR_SYMBOLS[target.operator] or "≥"
            how = f"当前 {_n(a)}{target.unit} {'在' if inside else '不在'}界限 {symbol}{_n(t)}{target.unit} 内{current.note}"
            return _with_reason(pack, GREEN if inside else RED, how)
        prorate = not target.is_percent or thresholds.get("prorate_percent", True)
        month = point_date.month
        standard = t * Decimal(month) / TWELVE if prorate else t
        if standard == 0:
            return _with_reason(pack, GREEN, f"标准值为 0，当前 {_n(a)}{target.unit}")
        ratio = a / standard * HUNDRED
        red, yellow, blue = _d(thresholds, "red_below"), _d(thresholds, "yellow_below"), _d(thresholds, "blue_from")
        colour = RED if ratio < red else YELLOW if ratio < yellow else GREEN if ratio < blue else BLUE
        standard_how = f"标准值 = {_n(t)} × {month}/12 = {_n(_r(standard))}" if prorate else f"标准值 = {_n(t)}"
        how = (
            f"{standard_how}；{_n(a)} ÷ {_n(_r(standard))} = {_r(ratio):.2f}%"
            f"（<{_n(red)}% 红灯，{_n(red)}%–<{_n(yellow)}% 黄灯，{_n(yellow)}%–<{_n(blue)}% 绿灯，≥{_n(blue)}% 蓝灯）{current.note}"
        )
        return _with_reason(pack, colour, how, _r(ratio))
    if rule == GAP_WITH_SPENDING:
        if not quantitative or target.operator in ("<=", "<") or target.is_percent:
            return Light(NONE, "定性、反向和百分比指标不比较完成进度与支出进度")
        if spending is None:
            raise GradingError("缺少支出进度，无法比较完成进度与支出进度。")
        current = _read(row, target)
        if current.target == 0:
            return Light(NONE, "年度指标值为 0，不比较完成进度")
        progress = current.number / current.target * HUNDRED
        gap = abs(progress - spending)
        limit = _d(thresholds, "max_gap")
        colour = thresholds.get("colour", RED) if gap > limit else GREEN
        how = (
            f"完成进度 {_n(current.number)} ÷ {_n(current.target)} = {_r(progress):.2f}%，支出进度 {_n(spending)}%，"
            f"相差 {_r(gap):.2f} 个百分点（{'超过' if gap > limit else '不超过'} {_n(limit)}）{current.note}"
        )
        return _with_reason(pack, colour, how, _r(gap))
    if rule == DEVIATION_NOTE:
        if not quantitative or target.operator not in ("", ">=", ">"):
            return Light(NONE, "只对正向指标检查超出幅度")
        current = _read(row, target)
        over = _d(thresholds, "over_percent")
        bound = current.target * (1 + over / HUNDRED)
        exceeded = current.number > bound
        how = (
            f"当前 {_n(current.number)} {'超过' if exceeded else '未超过'} 年度指标值 {_n(current.target)} × "
            f"(1 + {_n(over)}%) = {_n(_r(bound))}{'，需作偏差说明' if exceeded else ''}{current.note}"
        )
        return Light(NONE, how, exceeded)
    raise ValueError(f"unknown attainment rule {rule!r}")


# ---------------------------------------------------------------- the sheet


def worst(lights: Sequence[Light]) -> Light:
    """The sheet's light: its worst (red, yellow, blue, green); NONE when nothing was graded."""
    graded = [light for light in lights if light.colour]
    if not graded:
        return Light(NONE, "没有可评价的灯")
    light = max(graded, key=lambda item: SEVERITY[item.colour])
    counts = "，".join(
        f"{COLOUR_LABELS[c]} {n}" for c in COLOURS if (n := sum(1 for item in graded if item.colour == c))
    )
    return Light(light.colour, f"取最差：{COLOUR_LABELS[light.colour]}（{counts}）", any(l.reason_required for l in lights))


def sheet_light(pack, *, point_date: datetime.date, line: Decimal, planned: Decimal | None, spending: Decimal, rows: Sequence[IndicatorProgress]) -> tuple[Light, Light, list[Light]]:
    """(the sheet's light, its spending light, each indicator's light) at a point."""
    money = spending_light(pack, point_date=point_date, line=line, planned=planned, actual=spending)
    indicators = [attainment_light(pack, row, point_date=point_date, spending=spending) for row in rows]
    return worst([money, *indicators]), money, indicators


def consecutive_warnings(pack, colours: Sequence[str]) -> bool:
    """Do the last ``pack.consecutive_warnings`` points (oldest first in ``colours``) all carry a red light (四川:
    3 in a row → an on-site check [2nd])? False when the pack sets no such rule."""
    count = pack.consecutive_warnings
    if not count or len(colours) < count:
        return False
    return all(colour == RED for colour in colours[-count:])
