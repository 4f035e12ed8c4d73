"""Target values (指标值): parse what a drafter wrote into operator, number and unit.

``parse_target_value("≥98%")`` gives ``ParsedValue(kind="quantitative",
operator=">=", number=Decimal("98"), unit="%")``. Known qualitative phrases
(逐年改善, 有效改善, …) give ``kind="qualitative"``; anything else is kept as
written with ``kind="unparsed"`` so the checker can report it. Nothing here
touches the database.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

QUANTITATIVE = "quantitative"
QUALITATIVE = "qualitative"
DATE_RANGE = "date_range"
UNPARSED = "unparsed"
EMPTY = "empty"

KIND_LABELS = {
    QUANTITATIVE: "定量",
    QUALITATIVE: "定性",
    DATE_RANGE: "时间区间",
    UNPARSED: "无法识别",
    EMPTY: "空",
}

# Phrases that are legitimate qualitative targets. Matched on the whole value,
# or on a value that starts with one of these verbs of direction.
QUALITATIVE_PHRASES = frozenset(
    {
        "逐年改善", "有效改善", "有效发挥", "逐年提升", "优良", "持续改善",
        "参照政府采购成本控制", "有效促进", "明显改善", "明显提升", "有效提升",
        "持续提升", "稳步提升", "逐步提升", "逐步改善", "显著提升", "显著改善",
        "良好", "优秀", "合格", "达标", "符合要求", "符合标准", "按期完成",
        "及时完成", "全部完成", "长期", "持续发挥", "有效保障", "保障",
        "正常运行", "提高", "提升", "改善", "降低", "减少", "增加", "是", "否",
    }
)
QUALITATIVE_PREFIXES = ("逐年", "有效", "持续", "稳步", "逐步", "明显", "显著", "不断", "进一步", "参照", "按照", "符合")

OPERATORS = {
    "≥": ">=", ">=": ">=", "=>": ">=", "不低于": ">=", "不少于": ">=",
    "≤": "<=", "<=": "<=", "=<": "<=", "不高于": "<=", "不超过": "<=", "不多于": "<=",
    ">": ">", "<": "<", "=": "=", "＝": "=",
}
OPERATOR_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "=", "": ""}

# Units seen in real sheets; anything made of CJK letters or a few symbols is accepted too.
KNOWN_UNITS = (
    "%", "万元", "元", "亿元", "千元", "个", "件", "次", "人次", "人", "辆", "天", "日",
    "个月", "月", "年", "㎡", "平方米", "m²", "M", "m", "km", "公里", "台", "套",
    "栋", "处", "项", "家", "户", "所", "场", "期", "批", "份", "册", "张", "条",
    "篇", "名", "座", "小时", "分钟", "工作日", "个工作日", "吨", "亩", "公顷", "GB", "TB",
)

MONEY_UNITS = ("万元", "元", "亿元", "千元")

# What Indicator.value_number stores: 16 integer digits, 4 decimals.
MAX_NUMBER = Decimal(10) ** 16
MAX_DECIMALS = 4

_OPERATOR_RE = re.compile(r"^(>=|<=|=>|=<|≥|≤|>|<|=|不低于|不少于|不高于|不超过|不多于)")
_NUMBER_RE = re.compile(r"^(\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)")
_UNIT_RE = re.compile(r"^(?:[\u4e00-\u9fff]{1,3}|[A-Za-z]{1,3})$")
_DATE_RANGE_RE = re.compile(
    r"^(\d{4})[.\-/年](\d{1,2})月?(?:[.\-/](\d{1,2})日?)?\s*(?:-|—|–|~|～|至|到)\s*(\d{4})[.\-/年](\d{1,2})月?(?:[.\-/](\d{1,2})日?)?$"
)


@dataclass(frozen=True)
class ParsedValue:
    kind: str
    operator: str = ""
    number: Decimal | None = None
    unit: str = ""

    @property
    def is_money(self) -> bool:
        return self.kind == QUANTITATIVE and self.unit in MONEY_UNITS

    @property
    def is_percent(self) -> bool:
        return self.kind == QUANTITATIVE and self.unit == "%"

    def in_wan_yuan(self) -> Decimal | None:
        """The amount in 万元 when the value is money, else None."""
        if not self.is_money or self.number is None:
            return None
        factor = {"万元": Decimal(1), "元": Decimal("0.0001"), "千元": Decimal("0.1"), "亿元": Decimal(10000)}
        return self.number * factor[self.unit]


_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def normalize(text: str) -> str:
    """Full-width ASCII forms to half-width (ＡＢ１２％＞ → AB12%>), white space dropped.

    Unlike NFKC this keeps ≥ ≤ ㎡ and ² as written."""
    text = (text or "").translate(_FULL_WIDTH)
    return re.sub(r"\s+", "", text)


@functools.lru_cache(maxsize=8192)
def parse_target_value(raw: str) -> ParsedValue:
    """What a 指标值 says (kind, operator, number, unit). Remembered per text: the same few values recur on most
    rows (a rollover of 1,000 agencies parses 40,000 rows two or three times each), and a ``ParsedValue`` cannot change."""
    text = normalize(raw).strip("\"'“”‘’")
    if not text:
        return ParsedValue(EMPTY)
    if _DATE_RANGE_RE.match(text):
        return ParsedValue(DATE_RANGE)
    quantitative = _parse_quantitative(text)
    if quantitative is not None:
        return quantitative
    if text in QUALITATIVE_PHRASES or (
        text.startswith(QUALITATIVE_PREFIXES) and not any(ch.isdigit() for ch in text)
    ):
        return ParsedValue(QUALITATIVE)
    return ParsedValue(UNPARSED)


def _parse_quantitative(text: str) -> ParsedValue | None:
    operator = ""
    match = _OPERATOR_RE.match(text)
    if match:
        operator = OPERATORS[match.group(1)]
        text = text[match.end():]
    match = _NUMBER_RE.match(text)
    if not match:
        return None
    try:
        number = Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex only admits digits
        return None
    if number >= MAX_NUMBER or number.as_tuple().exponent < -MAX_DECIMALS:
        return None  # not a target anyone means; kept as written and reported by the checker
    unit = text[match.end():]
    if unit and unit not in KNOWN_UNITS and not _UNIT_RE.match(unit):
        return None
    return ParsedValue(QUANTITATIVE, operator=operator or "", number=number, unit=unit)


class ActualValueError(ValueError):
    """An actual value (实际完成值 / 当前完成值) that cannot be read against its target: ``str()`` is the Chinese
    message for the person who typed it."""


@dataclass(frozen=True)
class Actual:
    """An actual value read against its target, both in the target's unit (万元 when money units differ)."""

    number: Decimal
    target: Decimal
    note: str = ""  # the conversion shown beside a score or light, when one was made


def read_actual(target: ParsedValue, text: str, *, name: str, what: str = "实际完成值") -> Actual:
    """Read a value typed as targets are (``96%``, ``9万元``, ``1个``) against a quantitative ``target``.

    A bare number is read in the target's unit; money converts between 元, 千元, 万元 and 亿元; any other unit
    than the target's, a comparison operator or text that is not a number raises ``ActualValueError``."""
    text = (text or "").strip()
    if not text:
        raise ActualValueError(f"请填写“{name}”的{what}。")
    actual = parse_target_value(text)
    example = f"{format_number(target.number)}{target.unit}"
    if actual.kind != QUANTITATIVE:
        raise ActualValueError(
            f"“{name}”的指标值是数值，{what}“{text}”无法识别为数值，请按“{example}”的格式填写。"
        )
    if actual.operator:
        raise ActualValueError(f"“{name}”的{what}填写实际达到的数值，不带比较符：如“{example}”。")
    unit = actual.unit or target.unit
    if unit == target.unit:
        return Actual(actual.number, target.number)
    if target.is_money and unit in MONEY_UNITS:
        number = ParsedValue(QUANTITATIVE, number=actual.number, unit=unit).in_wan_yuan()
        goal = target.in_wan_yuan()
        note = (
            f"（按万元计：{format_number(actual.number)}{unit} = {format_number(number)}万元，"
            f"{example} = {format_number(goal)}万元）"
        )
        return Actual(number, goal, note)
    raise ActualValueError(
        f"“{name}”的{what}单位“{unit}”与指标值的单位“{target.unit or '无单位'}”不一致，请按指标值的单位填写（如“{example}”）。"
    )


def format_number(number: Decimal) -> str:
    """Decimal("98.00") -> "98", Decimal("75.50") -> "75.5"."""
    text = format(number.normalize(), "f")
    return text
