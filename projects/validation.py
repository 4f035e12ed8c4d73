"""What sheet content may hold: the one set of limits every door (editor, API, import, goals) applies.

The limits are what the database can store and what the Word writer can write: text lengths of the
columns, money of ``max_digits=14, decimal_places=2`` and not negative, plan percents 0–100, at most
``MAX_INDICATOR_ROWS`` indicator rows, and no control characters (XML, and so Word, refuses most of
them; PostgreSQL refuses NUL). Tab and newline are allowed in multi-line fields only. Messages are
Chinese and name the field. The importer strips control characters Word had (``clean_document``)
instead of refusing them; everything else is refused, never truncated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from core import errors

MAX_INDICATOR_ROWS = 200
TEXT_MAX = 5000  # purpose, goal, indicator description and basis
GOALS_MAX = 20000  # each part of the department goals
COMMENT_MAX = 2000  # review comments
MAX_POSITION = 9999  # N of "N.<项目名称>绩效目标表"
MONEY_MAX = Decimal("999999999999.99")  # max_digits=14, decimal_places=2
MONEY_PLACES = 2
PERCENT_PLACES = 2

# C0 and C1 control characters, DEL, surrogates and the XML non-characters; tab/newline/CR handled apart.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

AGENCY_CODE = ("单位编码", 20, False)
AGENCY_NAME = ("单位名称", 100, False)
PROJECT_CODE = ("项目编码", 40, False)
PROJECT_NAME = ("项目名称", 200, False)
SHEET_TITLE = ("表名", 200, False)
PURPOSE = ("资金用途", TEXT_MAX, True)
GOAL = ("绩效目标", TEXT_MAX, True)
INDICATOR_FIELDS = {
    "category": ("一级指标", 50, False),
    "subcategory": ("二级指标", 50, False),
    "name": ("三级指标", 200, False),
    "description": ("绩效指标描述", TEXT_MAX, True),
    "target_value": ("指标值", 100, False),
    "basis": ("指标值确定依据", TEXT_MAX, True),
}
GOALS_FIELDS = {
    "overall": ("总体绩效目标", GOALS_MAX, True),
    "itemized": ("分项绩效目标", GOALS_MAX, True),
    "safeguards": ("工作保障措施", GOALS_MAX, True),
}
MONEY_LABELS = {"budget_total": "预算数", "fiscal_funds": "其中：财政资金", "other_funds": "其他资金"}


def _pattern(multiline: bool) -> re.Pattern:
    return _CONTROL if multiline else _CONTROL_OR_BREAK


def text_problem(value, label: str, *, max_length: int, multiline: bool) -> str | None:
    """Why ``value`` cannot be stored as ``label``, or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        return f"“{label}”必须是文字。"
    found = _pattern(multiline).search(value)
    if found:
        where = "" if multiline else "（此处不能换行或使用制表符）"
        return f"“{label}”含有不可见的控制字符 U+{ord(found.group()):04X}{where}，请删除后再保存。"
    if len(value) > max_length:
        return f"“{label}”最多 {max_length} 个字，现为 {len(value)} 个字。"
    return None


def _decimal(value) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        try:
            return Decimal(value)
        except (InvalidOperation, ValueError):
            return None
    return None


def _number_problem(value, label: str, *, maximum: Decimal, places: int, unit: str) -> str | None:
    number = _decimal(value)
    if number is None or not number.is_finite():
        return f"“{label}”必须是数字。"
    if number < 0:
        return f"“{label}”不能为负数。"
    if number > maximum:
        return f"“{label}”不能超过 {maximum:f}{unit}。"
    if number != number.quantize(Decimal(1).scaleb(-places)):
        return f"“{label}”最多保留 {places} 位小数。"
    return None


def money_problem(value, label: str) -> str | None:
    """Amounts in 万元: 0 to 999,999,999,999.99, two decimals."""
    return _number_problem(value, label, maximum=MONEY_MAX, places=MONEY_PLACES, unit="万元")


def percent_problem(value, label: str) -> str | None:
    """A cumulative spending plan percent: 0 to 100, two decimals."""
    return _number_problem(value, label, maximum=Decimal(100), places=PERCENT_PLACES, unit="%")


@deconstructible
class TextValidator:
    """A form/serializer field validator for one of the texts above (Django's ValidationError; DRF accepts it)."""

    def __init__(self, label: str, max_length: int, multiline: bool):
        self.label, self.max_length, self.multiline = label, max_length, multiline

    def __call__(self, value):
        problem = text_problem(value, self.label, max_length=self.max_length, multiline=self.multiline)
        if problem:
            raise ValidationError(problem, code="invalid_text")

    def __eq__(self, other):
        return isinstance(other, TextValidator) and (self.label, self.max_length, self.multiline) == (
            other.label, other.max_length, other.multiline
        )


def validator(spec: tuple[str, int, bool]) -> TextValidator:
    return TextValidator(*spec)


def _row_value(row, name):
    return row.get(name, "") if isinstance(row, dict) else getattr(row, name, "")


def indicator_problems(indicators: Iterable) -> list[str]:
    rows = list(indicators)
    if len(rows) > MAX_INDICATOR_ROWS:
        return [f"绩效指标最多 {MAX_INDICATOR_ROWS} 行，现为 {len(rows)} 行。"]
    problems = []
    for number, row in enumerate(rows, start=1):
        for name, (label, max_length, multiline) in INDICATOR_FIELDS.items():
            problem = text_problem(_row_value(row, name), label, max_length=max_length, multiline=multiline)
            if problem:
                problems.append(f"第{number}行指标：{problem}")
    return problems


def sheet_content_problems(
    *, budget_total, fiscal_funds, other_funds, purpose, goal, plan: Iterable[tuple[str, object]], indicators: Iterable
) -> list[str]:
    """Everything wrong with a sheet's content; ``plan`` is (label, percent) pairs."""
    problems = []
    for name, value in (("budget_total", budget_total), ("fiscal_funds", fiscal_funds), ("other_funds", other_funds)):
        problem = money_problem(value, MONEY_LABELS[name])
        if problem:
            problems.append(problem)
    for value, spec in ((purpose, PURPOSE), (goal, GOAL)):
        problem = text_problem(value, spec[0], max_length=spec[1], multiline=spec[2])
        if problem:
            problems.append(problem)
    for label, percent in plan:
        problem = percent_problem(percent, f"资金支出计划 {label}")
        if problem:
            problems.append(problem)
    problems.extend(indicator_problems(indicators))
    return problems


def _refuse(problems: list[str], prefix: str = "") -> None:
    if problems:
        shown = "；".join(problems[:10]) + (f"；等共 {len(problems)} 处" if len(problems) > 10 else "")
        raise errors.invalid(f"{prefix}{shown}", code="invalid_content")


def validate_sheet_content(*, plan: dict, **content) -> None:
    """Refuse (400 AppError) content that could not be stored or exported; ``plan`` maps checkpoints to percents."""
    pairs = [(getattr(cp, "label", str(cp)), percent) for cp, percent in plan.items()]
    _refuse(sheet_content_problems(plan=pairs, **content))


def goals_problems(goals) -> list[str]:
    """``goals``: DepartmentGoalsData (lists of paragraphs)."""
    problems = []
    for name, (label, max_length, _) in GOALS_FIELDS.items():
        paragraphs = getattr(goals, name)
        for paragraph in paragraphs:
            problem = text_problem(paragraph, label, max_length=max_length, multiline=True)
            if problem and "控制字符" in problem:
                problems.append(problem)
                break
        total = sum(len(p) for p in paragraphs) + max(0, len(paragraphs) - 1)
        if total > max_length:
            problems.append(f"“{label}”最多 {max_length} 个字，现为 {total} 个字。")
    return problems


def validate_goals(goals) -> None:
    _refuse(goals_problems(goals), "部门整体绩效目标：")


# ---------------------------------------------------------------- Word imports


def strip_control(value: str, *, multiline: bool) -> str:
    """What Word had, without control characters; in one-line fields a tab or line break becomes a space."""
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("", value)
    if not multiline:
        value = re.sub("[\t\r\n]+", " ", value).strip()
    return value


def clean_document(data) -> None:
    """Strip control characters from a read document (DocumentData), in place."""
    data.agency_code = strip_control(data.agency_code, multiline=False)
    data.agency_name = strip_control(data.agency_name, multiline=False)
    for name in GOALS_FIELDS:
        setattr(data.goals, name, [strip_control(p, multiline=False) for p in getattr(data.goals, name)])
    for sheet in data.sheets:
        for name in ("title", "agency_code", "agency_name", "project_code", "project_name"):
            setattr(sheet, name, strip_control(getattr(sheet, name), multiline=False))
        sheet.purpose = strip_control(sheet.purpose, multiline=True)
        sheet.goal = strip_control(sheet.goal, multiline=True)
        for row in sheet.indicators:
            for name, (_, _, multiline) in INDICATOR_FIELDS.items():
                setattr(row, name, strip_control(getattr(row, name), multiline=multiline))


def document_problems(data) -> list[str]:
    """Everything in a read (and cleaned) document that cannot be stored, each naming its sheet and field."""
    problems = []
    for value, spec in ((data.agency_code, AGENCY_CODE), (data.agency_name, AGENCY_NAME)):
        problem = text_problem(value, spec[0], max_length=spec[1], multiline=spec[2])
        if problem:
            problems.append(problem)
    problems.extend(goals_problems(data.goals))
    for sheet in data.sheets:
        where = f"第{sheet.number}张表“{sheet.title[:40]}”："
        sheet_problems = []
        if not isinstance(sheet.number, int) or not 0 <= sheet.number <= MAX_POSITION:
            sheet_problems.append(f"序号 {sheet.number} 超出范围（0–{MAX_POSITION}）。")
            where = f"“{sheet.title[:40]}”："
        for value, spec in ((sheet.title, SHEET_TITLE), (sheet.project_code, PROJECT_CODE), (sheet.project_name, PROJECT_NAME)):
            problem = text_problem(value, spec[0], max_length=spec[1], multiline=spec[2])
            if problem:
                sheet_problems.append(problem)
        sheet_problems.extend(
            sheet_content_problems(
                budget_total=sheet.budget_total, fiscal_funds=sheet.fiscal_funds, other_funds=sheet.other_funds,
                purpose=sheet.purpose, goal=sheet.goal, plan=[(p.label, p.percent) for p in sheet.plan],
                indicators=sheet.indicators,
            )
        )
        problems.extend(where + p for p in sheet_problems)
    return problems


def validate_document(data) -> None:
    """Refuse (400) a read document that holds anything the database cannot store."""
    _refuse(document_problems(data), "文件不能导入：")
