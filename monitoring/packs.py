"""A rule pack's data, read and checked: its monitoring points and the thresholds of its rules.

``pack_problems`` is the one validation of a pack's rule fields (``RulePack.clean`` runs it, so the admin's forms
do; the services build a pack through ``full_clean``). Messages are in Chinese, keyed by field.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from projects.values import format_number

from monitoring import grading

MAX_POINTS = 12
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
WARNING_NEXT_WORKDAY, WARNING_NEXT_MONTH = "next_workday", "next_month_first"
WARNING_TIMINGS = {WARNING_NEXT_WORKDAY: "时点后的第一个工作日", WARNING_NEXT_MONTH: "时点所在月的次月1日"}


@dataclass(frozen=True)
class Point:
    """A point of a year: by ``date`` a sheet is expected to have spent ``expected`` % (cumulative); its report is
    due by ``report_by``. Every point is a spending checkpoint of the year (a plan names a value for each, the last
    one 100%); only ``monitored`` ones are graded and warned (四川 monitors April to October, its plans end in
    December)."""

    date: datetime.date
    expected: Decimal
    report_by: datetime.date
    monitored: bool = True  # False: a point of the spending plan only (the year end), nothing is graded or warned

    @property
    def label(self) -> str:
        if (self.date + datetime.timedelta(days=1)).month != self.date.month:
            return f"{self.date.month}月底"
        return f"{self.date.month}月{self.date.day}日"


def _month_day(text, year: int = 2023) -> datetime.date | None:
    """'04-30' as a date of ``year`` (2023: not a leap year, so 02-29 is refused); None if not a date."""
    match = _MONTH_DAY.match(str(text or ""))
    if not match:
        return None
    try:
        return datetime.date(year, int(match.group(1)), int(match.group(2)))
    except ValueError:
        return None


def points_in(pack, year: int) -> list[Point]:
    """The pack's points as dates of ``year`` (a report deadline earlier in the year than its point falls in the
    next year: a 12-31 point reported by 01-10)."""
    points = []
    for item in pack.points:
        date = _month_day(item["date"], year)
        report_by = _month_day(item.get("report_by") or item["date"], year)
        if report_by < date:
            report_by = report_by.replace(year=year + 1)
        points.append(Point(date, Decimal(str(item["expected"])), report_by, item.get("monitored", True)))
    return points


def _number(value) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def points_problems(points) -> list[str]:
    if not isinstance(points, list) or not points:
        return ["请至少填写一个监控时点，格式如 [{\"date\": \"06-30\", \"expected\": \"50\", \"report_by\": \"07-10\"}]。"]
    if len(points) > MAX_POINTS:
        return [f"监控时点最多 {MAX_POINTS} 个。"]
    problems: list[str] = []
    previous_date, previous_expected = None, None
    for index, item in enumerate(points, start=1):
        where = f"第 {index} 个时点"
        if not isinstance(item, dict):
            problems.append(f"{where}应写成 {{\"date\": \"MM-DD\", \"expected\": 累计支出进度, \"report_by\": \"MM-DD\"}}。")
            continue
        unknown = set(item) - {"date", "expected", "report_by", "monitored"}
        if unknown:
            problems.append(f"{where}有无法识别的项：{'、'.join(sorted(unknown))}（只能有 date、expected、report_by、monitored）。")
        if not isinstance(item.get("monitored", True), bool):
            problems.append(f"{where}的 monitored（是否监控）应为 true 或 false。")
        date = _month_day(item.get("date"))
        if date is None:
            problems.append(f"{where}的日期“{item.get('date', '')}”应写成“月-日”，如“06-30”（不能用 02-29）。")
        elif previous_date is not None and date <= previous_date:
            problems.append(f"{where}的日期应晚于上一个时点。")
        if item.get("report_by") not in (None, "") and _month_day(item.get("report_by")) is None:
            problems.append(f"{where}的报送截止日“{item.get('report_by')}”应写成“月-日”，如“07-10”。")
        expected = _number(item.get("expected"))
        if expected is None or not 0 <= expected <= 100:
            problems.append(f"{where}的累计支出进度应为 0 到 100 之间的数字。")
        elif previous_expected is not None and expected < previous_expected:
            problems.append(f"{where}的累计支出进度 {format_number(expected)}% 不能低于上一个时点的 {format_number(previous_expected)}%（按累计数）。")
        previous_date = date or previous_date
        previous_expected = expected if expected is not None else previous_expected
    if not problems and not any(item.get("monitored", True) for item in points):
        problems.append("至少要有一个监控的时点（monitored 不为 false）。")
    if not problems and Decimal(str(points[-1]["expected"])) != 100:
        problems.append("最后一个时点的累计支出进度应为 100%（绩效目标表的资金支出计划在最后节点达到 100%）。")
    return problems


def thresholds_problems(thresholds, spec: dict[str, tuple[str, str]], what: str) -> list[str]:
    """Problems of a rule's thresholds against what the rule reads (``grading.*_THRESHOLDS``)."""
    if not isinstance(thresholds, dict):
        return [f"{what}的参数应写成 {{名称: 值}}。"]
    problems = []
    unknown = set(thresholds) - set(spec)
    if unknown:
        known = "、".join(spec) or "无"
        problems.append(f"{what}的参数有无法识别的项：{'、'.join(sorted(unknown))}（可用：{known}）。")
    for name, (label, kind) in spec.items():
        if name not in thresholds:
            problems.append(f"{what}缺少参数 {name}（{label}）。")
            continue
        value = thresholds[name]
        if kind == "number":
            number = _number(value)
            if number is None or not 0 <= number <= 1000:
                problems.append(f"{what}的参数 {name}（{label}）应为 0 到 1000 之间的数字。")
        elif kind == "colour" and value not in grading.COLOURS:
            problems.append(f"{what}的参数 {name}（{label}）应为 red、yellow、blue 或 green。")
        elif kind == "bool" and not isinstance(value, bool):
            problems.append(f"{what}的参数 {name}（{label}）应为 true 或 false。")
        elif kind == "words" and not (isinstance(value, list) and all(isinstance(w, str) and w.strip() for w in value)):
            problems.append(f"{what}的参数 {name}（{label}）应为文字列表，如 [\"数量\", \"效益\"]。")
    if not problems:
        problems += _order_problems(thresholds, what)
    return problems


def _order_problems(thresholds: dict, what: str) -> list[str]:
    ordered = [name for name in ("red_below", "yellow_below", "blue_from") if name in thresholds]
    numbers = [Decimal(str(thresholds[name])) for name in ordered]
    if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        return [f"{what}的分档应从低到高：{' < '.join(ordered)}。"]
    return []


def words_problems(value, field_label: str, *, allowed=None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        return [f"“{field_label}”应为文字列表，如 [\"确定继续执行\", \"调剂预算\"]。"]
    if len(set(value)) != len(value):
        return [f"“{field_label}”有重复的项。"]
    if allowed is not None and (extra := [item for item in value if item not in allowed]):
        return [f"“{field_label}”中的“{'、'.join(extra)}”不在可选范围内（{'、'.join(allowed)}）。"]
    return []


def pack_problems(pack) -> dict[str, list[str]]:
    """{field name: Chinese messages} of everything wrong with a pack's rules; empty when it may be saved."""
    problems: dict[str, list[str]] = {}

    def add(name, found):
        if found:
            problems.setdefault(name, []).extend(found)

    add("points", points_problems(pack.points))
    if pack.spending_rule in grading.SPENDING_THRESHOLDS:
        add("spending_thresholds", thresholds_problems(
            pack.spending_thresholds, grading.SPENDING_THRESHOLDS[pack.spending_rule], "支出预警规则"
        ))
    if pack.attainment_rule in grading.ATTAINMENT_THRESHOLDS:
        add("attainment_thresholds", thresholds_problems(
            pack.attainment_thresholds, grading.ATTAINMENT_THRESHOLDS[pack.attainment_rule], "目标完成规则"
        ))
    colour_labels = [grading.COLOUR_LABELS[c] for c in grading.COLOURS]
    colours = pack.reason_colours
    add("reason_colours", words_problems(colours, "需说明原因的灯色", allowed=list(grading.COLOURS)) if isinstance(colours, list) and colours else (
        [] if colours == [] else [f"“需说明原因的灯色”应为灯色列表，可选 red、yellow、blue、green（{'、'.join(colour_labels)}）。"]
    ))
    options = pack.disposal_options
    add("disposal_options", [] if options == [] else words_problems(options, "处置选项"))
    proposals = pack.proposal_options
    add("proposal_options", [] if proposals == [] else words_problems(
        proposals, "需提交方案的处置选项", allowed=options if isinstance(options, list) else None
    ))
    if options and not pack.disposal_workdays:
        add("disposal_workdays", ["有处置选项时请填写处置期限（工作日）。"])
    if pack.disposal_workdays and not options:
        add("disposal_options", ["填写了处置期限时请列出处置选项。"])
    if pack.disposal_workdays and not (pack.overdue_consequence or "").strip():
        add("overdue_consequence", ["请填写逾期未处置的后果，如“暂停执行”。"])
    if proposals and not pack.proposal_workdays:
        add("proposal_workdays", ["有需提交方案的处置选项时请填写方案期限（工作日）。"])
    if pack.proposal_workdays and not proposals:
        add("proposal_options", ["填写了方案期限时请列出需提交方案的处置选项。"])
    if pack.consecutive_warnings and not (pack.consecutive_consequence or "").strip():
        add("consecutive_consequence", ["请填写连续预警的后果，如“列入现场核查”。"])
    return problems
