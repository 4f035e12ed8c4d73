"""Excel summaries for finance (openpyxl, write-only: streamed, memory flat in the number of sheets).

项目汇总: one row per sheet (unit, project, section, state, amounts in 万元, the spending plan per checkpoint,
the checker's verdict, submitted/approved/published dates) and a 合计 row under them; 指标明细: one row per
indicator. Both have a frozen header row, an autofilter, number formats, dates as dates and column widths.

Every text is written as a text cell (an inline string): a value that begins with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return, or reads like an error code (``#N/A``), is shown as written and never becomes a formula
(OWASP, CSV injection). Numbers and dates are written as numbers. The only formulas are the 合计 row's, written
with their values so that a viewer which does not recalculate still shows the totals.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import BinaryIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.functions import Element, SubElement

from projects import revisions
from projects.models import SheetState
from workflow.steps import CHAIN

SUMMARY_TITLE = "项目汇总"
INDICATORS_TITLE = "指标明细"
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = '0.##"%"'
DATE_FORMAT = "yyyy-mm-dd"
TOTAL_LABEL = "合计"

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
_THIN = Side(style="thin", color="999999")
_HEADER_BORDER = Border(bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    number_format: str | None = None
    wrap: bool = False


SUMMARY_COLUMNS = (
    Column("年度", 7),
    Column("单位编码", 10),
    Column("单位名称", 24, wrap=True),
    Column("序号", 6),
    Column("项目编码", 24),
    Column("项目名称", 34, wrap=True),
    Column("科室", 16, wrap=True),
    Column("状态", 11),
    Column("预算数（万元）", 14, MONEY_FORMAT),
    Column("其中：财政资金（万元）", 14, MONEY_FORMAT),
    Column("其他资金（万元）", 14, MONEY_FORMAT),
)
# then one column per checkpoint label (资金支出计划, %), then:
SUMMARY_TAIL = (
    Column("体检", 14),
    Column("错误数", 8),
    Column("提示数", 8),
    Column("提交日期", 12, DATE_FORMAT),
    Column(f"{CHAIN.label(SheetState.LEADER_REVIEW)}通过日期", 12, DATE_FORMAT),
    Column("公开日期", 12, DATE_FORMAT),
    Column("年初预算数（万元）", 14, MONEY_FORMAT),  # 目标调整: the first published budget where an adjustment changed it
)
INDICATOR_COLUMNS = (
    Column("年度", 7),
    Column("单位编码", 10),
    Column("项目编码", 24),
    Column("项目名称", 30, wrap=True),
    Column("科室", 16, wrap=True),
    Column("状态", 11),
    Column("一级指标", 12),
    Column("二级指标", 18),
    Column("三级指标", 28, wrap=True),
    Column("绩效指标描述", 36, wrap=True),
    Column("指标值", 14),
    Column("年初指标值", 14),  # 目标调整: the first published value where an adjustment changed it
    Column("比较符", 7),
    Column("数值", 12, "#,##0.####"),
    Column("单位", 8),
    Column("指标值确定依据", 36, wrap=True),
)


def checkpoint_columns(labels: Sequence[str]) -> list[Column]:
    return [Column(f"{label}（%）", 9, PERCENT_FORMAT) for label in labels]


def write_summary(
    sheets: Iterable,
    target: BinaryIO | str,
    *,
    checkpoint_labels: Sequence[str],
    progress: Callable[[int], None] | None = None,
    every: int = 200,
) -> int:
    """Write the workbook; ``sheets`` are TargetSheets with content prefetched and the dates annotated
    (``submitted_at``, ``approved_at``, ``published_at``: ``exports.selectors``). Returns the number of sheets;
    ``progress(n)`` is called every ``every`` sheets and at the end."""
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(SUMMARY_TITLE)
    details = workbook.create_sheet(INDICATORS_TITLE)
    summary_columns = [*SUMMARY_COLUMNS, *checkpoint_columns(checkpoint_labels), *SUMMARY_TAIL]
    _prepare(summary, summary_columns, writer=_CachedFormulaWriter)
    _prepare(details, INDICATOR_COLUMNS)
    money_at = [summary_columns.index(c) for c in SUMMARY_COLUMNS if c.number_format == MONEY_FORMAT]
    summary_rows, detail_rows = _Rows(summary, summary_columns), _Rows(details, INDICATOR_COLUMNS)
    count = indicator_rows = 0
    sums = {index: Decimal(0) for index in money_at}
    sheets = iter(sheets)
    while batch := list(islice(sheets, 500)):
        originals = revisions.originals(batch)  # 年初 of the adjusted sheets (none: no query)
        for sheet in batch:
            original = originals.get(sheet.pk)
            values = _summary_values(sheet, checkpoint_labels, original)
            for index in money_at:
                sums[index] += values[index] or 0
            summary_rows.append(values)
            for indicator in sheet.indicators.all():
                detail_rows.append(_indicator_values(sheet, indicator, original))
                indicator_rows += 1
            count += 1
            if progress and count % every == 0:
                progress(count)
    _totals(summary, summary_columns, sums, count)
    summary.auto_filter.ref = f"A1:{get_column_letter(len(summary_columns))}{count + 1}"
    details.auto_filter.ref = f"A1:{get_column_letter(len(INDICATOR_COLUMNS))}{indicator_rows + 1}"
    workbook.save(target)
    if progress:
        progress(count)
    return count


def _prepare(worksheet, columns: Sequence[Column], *, writer: type[WorksheetWriter] | None = None) -> None:
    """Widths, the frozen header row and the header cells (write-only: all before the first data row)."""
    for index, column in enumerate(columns, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = column.width
    worksheet.freeze_panes = "A2"
    if writer is not None:
        # what ``WriteOnlyWorksheet._get_writer`` does on the first append, with our writer (openpyxl ~=3.1)
        worksheet._writer = writer(worksheet)
        worksheet._writer.write_top()
    header = []
    for column in columns:
        cell = WriteOnlyCell(worksheet, column.title)
        cell.font, cell.fill, cell.border, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_BORDER, _CENTER
        header.append(cell)
    worksheet.append(header)


def _set(cell, value) -> None:
    """``cell.value = value``, a text always as a text (openpyxl would make ``=…`` a formula and ``#N/A`` an error),
    without the control characters a workbook cannot hold (Word's vertical tab…), which openpyxl refuses."""
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
    else:
        cell.value = value


class _Rows:
    """Appends rows to a write-only worksheet. A cell is made once per column and reused: write-only mode
    serialises a row as it is appended, so only the value changes (styling a new cell per value was most of the
    time of a 1,000-sheet summary). Each value goes through ``_set``: a text is always a text cell."""

    def __init__(self, worksheet, columns: Sequence[Column]):
        self.worksheet = worksheet
        self.templates = []
        for column in columns:
            cell = WriteOnlyCell(worksheet)
            if column.number_format:
                cell.number_format = column.number_format
            if column.wrap:
                cell.alignment = _WRAP
            self.templates.append(cell)

    def append(self, values: Sequence) -> None:
        row = []
        for template, value in zip(self.templates, values):
            if value is None:
                row.append(None)
            else:
                _set(template, value)
                row.append(template)
        self.worksheet.append(row)


def _date(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


def _summary_values(sheet, labels: Sequence[str], original=None) -> list:
    errors, warnings = sheet.verdict()  # stored with the content; checked here only when unknown
    verdict = f"{errors} 个错误" if errors else f"{warnings} 个提示" if warnings else "通过"
    planned = {point.checkpoint.label: point.cumulative_percent for point in sheet.plan.all()}
    return [
        sheet.fiscal_year.year, sheet.agency.code, sheet.agency.name, sheet.position, sheet.project.code,
        sheet.display_title, sheet.section.name if sheet.section_id else "", sheet.get_state_display(),
        sheet.budget_total, sheet.fiscal_funds, sheet.other_funds,
        *[planned.get(label) for label in labels],
        verdict, errors, warnings,
        _date(getattr(sheet, "submitted_at", None)), _date(getattr(sheet, "approved_at", None)),
        _date(getattr(sheet, "published_at", None)),
        original.budget_total if original is not None and original.budget_total != sheet.budget_total else None,
    ]


def _indicator_values(sheet, indicator, original=None) -> list:
    return [
        sheet.fiscal_year.year, sheet.agency.code, sheet.project.code, sheet.display_title,
        sheet.section.name if sheet.section_id else "", sheet.get_state_display(),
        indicator.category, indicator.subcategory, indicator.name, indicator.description, indicator.target_value,
        original.value_of(indicator) if original is not None else None,
        indicator.value_operator, indicator.value_number, indicator.value_unit, indicator.basis,
    ]


def _totals(worksheet, columns: Sequence[Column], sums: dict[int, Decimal], count: int) -> None:
    """合计 under the rows: SUBTOTAL(109, …) sums what the autofilter shows (all rows when nothing is filtered); the
    sum of all rows is written as its value, shown by a viewer that does not recalculate."""
    cells = []
    for index in range(len(columns)):
        if index in sums:
            letter = get_column_letter(index + 1)
            cell = _FormulaCell(worksheet, row=1, column=1, value=sums[index])
            cell.formula = f"SUBTOTAL(109,{letter}2:{letter}{count + 1})" if count else None
            cell.number_format = MONEY_FORMAT
        else:
            cell = WriteOnlyCell(worksheet)
            _set(cell, f"{TOTAL_LABEL}（{count} 个项目）" if columns[index] is SUMMARY_COLUMNS[5] else None)
        cell.font = _HEADER_FONT
        cells.append(cell)
    worksheet.append(cells)


class _FormulaCell(Cell):
    """A number cell that is written as ``formula`` with the number as its cached value."""

    __slots__ = ("formula",)


class _CachedFormulaWriter(WorksheetWriter):
    """openpyxl writes a formula with an empty value (a viewer that does not recalculate shows nothing); this writes
    ``<f>formula</f><v>value</v>`` for a ``_FormulaCell`` and leaves every other cell to openpyxl."""

    def write_row(self, xf, row, row_idx):
        # ``WorksheetWriter.write_row`` (no comments or row heights here): cells are written as ``row`` yields them,
        # write-only mode reuses an unstyled cell for the next value
        with xf.element("row", {"r": f"{row_idx}"}):
            for cell in row:
                if isinstance(cell, _FormulaCell) and cell.formula:
                    element = Element("c", {"r": cell.coordinate, "s": f"{cell.style_id}"})
                    SubElement(element, "f").text = cell.formula
                    SubElement(element, "v").text = safe_string(cell.value)
                    xf.write(element)
                elif cell._value is not None or cell.has_style:
                    write_cell(xf, self.ws, cell, cell.has_style)
