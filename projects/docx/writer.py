"""Write budget performance target packages (预算绩效目标, .docx) from plain data.

The layout mirrors the county's template (and the seed document): the
department goals, then for every project a heading “N.<项目名称>绩效目标表”, a
7-column header table and a 6-column indicator table. ``projects.docx.reader``
reads the output back into equal data.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import BinaryIO, Union

import docx
from docx.document import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.oxml.simpletypes import ST_Merge
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.styles.style import BaseStyle
from docx.table import Table, _Cell

from .data import DepartmentGoalsData, DocumentData, PlanPointData, SheetData

Target = Union[str, os.PathLike[str], BinaryIO]

FONT_NAME = "SimSun"
EAST_ASIA_FONT = "宋体"
BODY_SIZE = Pt(12)
TABLE_SIZE = Pt(10.5)

GOALS_HEADING = "部门整体绩效目标"
PROJECTS_HEADING = "预算项目绩效目标"
GOAL_SECTIONS = (("一、总体绩效目标", "overall"), ("二、分项绩效目标", "itemized"), ("三、工作保障措施", "safeguards"))

HEADER_WIDTHS_CM = (3.0, 2.0, 2.4, 2.6, 2.4, 2.0, 2.6)
LAST_COLUMN = len(HEADER_WIDTHS_CM) - 1
PLAN_SLOTS = LAST_COLUMN  # checkpoints share grid columns 1..6; more go to extra rows
AMOUNT_LABELS = ("预算数", "其中：财政资金", "其他资金")
INDICATOR_WIDTHS_CM = (2.2, 2.6, 3.0, 3.6, 2.2, 3.4)
INDICATOR_HEADERS = ("一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据")


def write_document(doc: DocumentData, target: Target) -> None:
    """The whole department package: goals, then every project's tables."""
    document = _new_document()
    _add_goals(document, doc.goals)
    document.add_heading(PROJECTS_HEADING, level=1)
    for sheet in doc.sheets:
        _add_sheet(document, sheet)
    _save(document, target)


def write_sheet(sheet: SheetData, target: Target, *, goals: DepartmentGoalsData | None = None) -> None:
    """One project's heading and two tables, optionally after the department goals."""
    document = _new_document()
    if goals is not None and not goals.is_empty():
        _add_goals(document, goals)
        document.add_heading(PROJECTS_HEADING, level=1)
    _add_sheet(document, sheet)
    _save(document, target)


def format_amount(value: Decimal) -> str:
    """Decimal("8") → "8.00"."""
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"


def format_percent(value: Decimal) -> str:
    """Decimal("25.00") → "25%", Decimal("12.5") → "12.5%"."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


# ---------------------------------------------------------------- document


def _new_document() -> Document:
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(25)
    for name in ("Normal", "Heading 1", "Heading 2", "Heading 3"):
        _use_chinese_font(document.styles[name])
    document.styles["Normal"].font.size = BODY_SIZE
    return document


def _use_chinese_font(style: BaseStyle) -> None:
    """SimSun everywhere; theme fonts (set on the template's headings) would win otherwise."""
    font = style.font
    font.name = FONT_NAME
    font.color.rgb = RGBColor(0, 0, 0)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:eastAsia"), EAST_ASIA_FONT)


def _save(document: Document, target: Target) -> None:
    document.save(os.fspath(target) if isinstance(target, os.PathLike) else target)


def _add_goals(document: Document, goals: DepartmentGoalsData) -> None:
    if goals.is_empty():
        return
    document.add_heading(GOALS_HEADING, level=1)
    for heading, attribute in GOAL_SECTIONS:
        document.add_heading(heading, level=2)
        for text in getattr(goals, attribute):
            if text.strip():
                document.add_paragraph(text).paragraph_format.first_line_indent = BODY_SIZE * 2


def _add_sheet(document: Document, sheet: SheetData) -> None:
    document.add_heading(f"{sheet.number}.{sheet.title}绩效目标表", level=3)
    _add_header_table(document, sheet)
    document.add_paragraph()  # Word joins adjacent tables without a paragraph between them
    _add_indicator_table(document, sheet)
    document.add_paragraph()


# ---------------------------------------------------------------- tables


def _new_table(document: Document, rows: int, widths_cm: Sequence[float]) -> Table:
    table = document.add_table(rows=rows, cols=len(widths_cm))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for index, width in enumerate(widths_cm):
        table.columns[index].width = Cm(width)
        for cell in table.columns[index].cells:
            cell.width = Cm(width)
    return table


def _put(
    table: Table,
    row: int,
    column: int,
    text: str,
    *,
    to_row: int | None = None,
    to_column: int | None = None,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER,
) -> None:
    """Write ``text`` into a cell, merged down to ``to_row`` and right to ``to_column``."""
    cell = _grid_cell(table, row, column)
    if to_row is not None or to_column is not None:
        corner = (row if to_row is None else to_row, column if to_column is None else to_column)
        cell = cell.merge(_grid_cell(table, *corner))
    _fill(cell, text, bold=bold, align=align)


def _fill(cell: _Cell, text: str, *, bold: bool = False, align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER) -> None:
    cell.text = text
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    for run in paragraph.runs:
        run.bold = bold
        run.font.size = TABLE_SIZE


def _grid_cell(table: Table, row: int, column: int) -> _Cell:
    """Like ``table.cell`` but only walks one row (``table.cell`` walks the whole table)."""
    return table.rows[row].cells[column]


def _add_header_table(document: Document, sheet: SheetData) -> None:
    plan_rows = 2 * max(1, -(-len(sheet.plan) // PLAN_SLOTS))
    table = _new_table(document, rows=5 + plan_rows, widths_cm=HEADER_WIDTHS_CM)
    left, right = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT
    _put(table, 0, 0, f"{sheet.agency_code}{sheet.agency_name}", align=left)
    _put(table, 0, 1, "单位：万元", to_column=LAST_COLUMN, align=right)
    _put(table, 1, 0, "项目编码", bold=True)
    _put(table, 1, 1, sheet.project_code, to_column=2)
    _put(table, 1, 3, "项目名称", bold=True)
    _put(table, 1, 4, sheet.project_name, to_column=LAST_COLUMN)
    _put(table, 2, 0, "预算规模及资金用途", to_row=3, bold=True)
    other = format_amount(sheet.other_funds) if sheet.other_funds else ""
    amounts = (format_amount(sheet.budget_total), format_amount(sheet.fiscal_funds), other)
    for index, (label, amount) in enumerate(zip(AMOUNT_LABELS, amounts)):
        _put(table, 2, 1 + 2 * index, label, bold=True)
        _put(table, 2, 2 + 2 * index, amount)
    _put(table, 3, 1, sheet.purpose, to_column=LAST_COLUMN, align=left)
    _add_plan(table, 4, plan_rows, sheet.plan)
    goal_row = 4 + plan_rows
    _put(table, goal_row, 0, "绩效目标", bold=True)
    _put(table, goal_row, 1, sheet.goal, to_column=LAST_COLUMN, align=left)


def _add_plan(table: Table, top: int, rows: int, plan: Sequence[PlanPointData]) -> None:
    """Checkpoint labels over their percents, up to six per pair of rows."""
    _put(table, top, 0, "资金支出计划（%）", to_row=top + rows - 1, bold=True)
    for pair in range(rows // 2):
        chunk = plan[pair * PLAN_SLOTS : (pair + 1) * PLAN_SLOTS]
        cells = [(point.label, format_percent(point.percent)) for point in chunk] or [("", "")]
        row = top + 2 * pair
        for (first, last), (label, percent) in zip(_plan_spans(len(cells)), cells):
            _put(table, row, first, label, to_column=last)
            _put(table, row + 1, first, percent, to_column=last)


def _plan_spans(count: int) -> list[tuple[int, int]]:
    """Spread ``count`` checkpoints over columns 1..6; four give the seed's 1-2, 3, 4-5, 6."""
    starts = [1 + -(-index * PLAN_SLOTS // count) for index in range(count)] + [LAST_COLUMN + 1]
    return [(start, end - 1) for start, end in zip(starts, starts[1:])]


def _add_indicator_table(document: Document, sheet: SheetData) -> None:
    """Linear in the rows: every row's cells are looked up once (``table.cell`` and ``_Cell.merge`` walk the
    table, and merging a long run recursed once per row)."""
    indicators = sheet.indicators
    table = _new_table(document, rows=1 + len(indicators), widths_cm=INDICATOR_WIDTHS_CM)
    grid = [row.cells for row in table.rows]
    for column, label in enumerate(INDICATOR_HEADERS):
        _fill(grid[0][column], label, bold=True)
    for row, indicator in enumerate(indicators, start=1):
        values = (indicator.name, indicator.description, indicator.target_value, indicator.basis)
        for column, value in enumerate(values, start=2):
            _fill(grid[row][column], value)
    _merge_runs(grid, 0, [(i.category,) for i in indicators], [i.category for i in indicators])
    _merge_runs(grid, 1, [(i.category, i.subcategory) for i in indicators], [i.subcategory for i in indicators])


def _merge_runs(grid: Sequence[Sequence[_Cell]], column: int, keys: Sequence[Hashable], texts: Sequence[str]) -> None:
    """One vertically merged cell per run of equal consecutive keys (``grid[0]`` is the header row).

    The merge is written directly as Word stores it: ``w:vMerge="restart"`` on the run's first cell and
    ``w:vMerge`` (continue) on the cells below it, which stay empty."""
    row = 1
    for _, run in groupby(range(len(keys)), key=lambda index: keys[index]):
        length = len(list(run))
        top = grid[row][column]
        _fill(top, texts[row - 1])
        if length > 1:
            top._tc.vMerge = ST_Merge.RESTART
            for below in range(row + 1, row + length):
                grid[below][column]._tc.vMerge = ST_Merge.CONTINUE
                grid[below][column].vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        row += length
