"""The self-evaluations' files: one 项目支出绩效自评表 as Word (python-docx, the common layout, A4 landscape, 宋体) and
an agency's year of self-evaluations as an Excel summary (XlsxWriter in constant-memory mode; every text a text cell:
never a formula from user text, as ``exports.xlsx`` writes them).

What the tables hold comes from ``evaluations.tables`` (plain data); who may download what is decided by the views.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

import docx
import xlsxwriter
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from evaluations.tables import DepartmentTable, EvaluationTable
from exports.xlsx import write_text

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FONT, EAST_ASIA = "SimSun", "宋体"
TABLE_SIZE = Pt(10)
COLUMNS = 10  # 一级 | 二级 | 三级 | 指标性质 | 指标值 | 度量单位 | 实际完成值 | 分值 | 得分 | 未完成原因分析
WIDTHS_MM = (22, 24, 38, 19, 20, 19, 30, 16, 21, 48)  # 257 mm: A4 landscape with 20 mm margins


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _number(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def evaluation_file_name(table: EvaluationTable) -> str:
    return f"{table.project_code}-{table.title}{table.year}年度绩效自评表.docx"


# ---------------------------------------------------------------- Word


def _font(run, *, bold=False, size=TABLE_SIZE) -> None:
    run.font.name = FONT
    run.font.size = size
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), EAST_ASIA)


def _write(cell, text: str, *, bold=False, align=WD_ALIGN_PARAGRAPH.LEFT) -> None:
    cell.text = ""
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    lines = (text or "").replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        run = paragraph.add_run(line)
        _font(run, bold=bold)
        if index < len(lines) - 1:
            run.add_break()
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _keep_rows_whole(table) -> None:
    for row in table.rows:
        properties = row._tr.get_or_add_trPr()
        cant_split = OxmlElement("w:cantSplit")
        properties.append(cant_split)


def _repeat_header(row) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


class _Grid:
    """The table written row by row: ``span(label, start, end)`` writes a cell over columns start..end."""

    def __init__(self, document):
        self.table = document.add_table(rows=0, cols=COLUMNS)
        self.table.style = "Table Grid"
        self.table.alignment = WD_TABLE_ALIGNMENT.CENTER
        self.table.autofit = False
        for column, width in zip(self.table.columns, WIDTHS_MM):  # the grid LibreOffice and Word lay out by
            column.width = Mm(width)
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        self.table._tbl.tblPr.append(layout)

    def row(self, cells: Iterable[tuple[str, int, int, dict]]):
        row = self.table.add_row()
        for column, width in enumerate(WIDTHS_MM):
            row.cells[column].width = Mm(width)
        for text, start, end, style in cells:
            cell = row.cells[start] if start == end else row.cells[start].merge(row.cells[end])
            _write(cell, text, **style)
        return row


LABEL = {"bold": True, "align": WD_ALIGN_PARAGRAPH.CENTER}
CENTER = {"align": WD_ALIGN_PARAGRAPH.CENTER}
RIGHT = {"align": WD_ALIGN_PARAGRAPH.RIGHT}
TEXT: dict = {}


def _page(heading: str, title: str, year: int):
    """A4 landscape, 20 mm margins, the heading and （年度） centred above the table."""
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(20))
    section.top_margin = section.bottom_margin = Mm(18)
    document.core_properties.title = title
    document.core_properties.author = "targetflow"
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(heading), bold=True, size=Pt(18))
    subtitle = document.add_paragraph()
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(subtitle.add_run(f"（{year}年度）"), size=Pt(12))
    return document


def _budget(grid: _Grid, table, label: str) -> None:
    """预算执行情况: 年初预算数, 调整后预算数, 执行数, 分值 10, 执行率, 得分 (and the reason below 90%)."""
    grid.row([(label, 0, 1, LABEL), ("年初预算数", 2, 2, LABEL), ("调整后预算数", 3, 4, LABEL),
              ("执行数", 5, 6, LABEL), ("分值", 7, 7, LABEL), ("执行率", 8, 8, LABEL), ("得分", 9, 9, LABEL)])
    grid.row([("年度资金总额", 0, 1, LABEL), (_money(table.budget), 2, 2, RIGHT), (_money(table.adjusted_budget), 3, 4, RIGHT),
              (_money(table.spent), 5, 6, RIGHT), ("10", 7, 7, RIGHT),
              ("—" if table.rate is None else f"{table.rate:.2f}%", 8, 8, RIGHT), (_number(table.budget_score), 9, 9, RIGHT)])
    if table.spent_reason:
        grid.row([("执行率偏低原因", 0, 1, LABEL), (table.spent_reason, 2, 9, TEXT)])
    grid.row([("年度总体目标", 0, 1, LABEL), (table.goal or "—", 2, 9, TEXT)])


def _closing(document, grid: _Grid, table) -> None:
    """总分 and 等级, 评价结论, 存在问题, 改进措施, and the line under the table (填报单位, 公开日期 or the state)."""
    grid.row([("总分", 0, 6, LABEL), ("100", 7, 7, RIGHT), (_number(table.total), 8, 8, RIGHT),
              (f"等级：{table.grade or '—'}", 9, 9, {"bold": True})])
    for label, text in (("评价结论", table.conclusion), ("存在问题", table.problems), ("改进措施", table.improvements)):
        grid.row([(label, 0, 1, LABEL), (text or "—", 2, 9, TEXT)])
    _keep_rows_whole(grid.table)
    note = document.add_paragraph()
    when = f"公开日期：{table.public_on:%Y年%m月%d日}" if table.public_on else (table.state_label or "")
    _font(note.add_run(f"填报单位：{table.unit}　　{when}"), size=Pt(10))


def write_evaluation(table: EvaluationTable, target) -> None:
    """One 项目支出绩效自评表 (.docx) into ``target`` (a path or a binary file)."""
    document = _page("项目支出绩效自评表", f"{table.title}{table.year}年度绩效自评表", table.year)
    grid = _Grid(document)
    grid.row([("项目名称", 0, 1, LABEL), (f"{table.title}（{table.project_code}）", 2, 9, TEXT)])
    grid.row([("主管部门", 0, 1, LABEL), (f"{table.agency_code} {table.agency_name}", 2, 4, TEXT),
              ("实施单位", 5, 6, LABEL), (table.unit, 7, 9, TEXT)])
    _budget(grid, table, "项目资金（万元）")
    header = grid.row([(label, i, i, LABEL) for i, label in enumerate(
        ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分", "未完成原因分析"))])
    _repeat_header(header)
    for row in table.rows:
        value = row.value if not row.original_target else f"{row.value}（年初：{row.original_target}）"
        grid.row([
            (row.category, 0, 0, TEXT), (row.subcategory, 1, 1, TEXT), (row.name, 2, 2, TEXT), (row.nature, 3, 3, CENTER),
            (value, 4, 4, RIGHT if row.unit else TEXT), (row.unit, 5, 5, CENTER), (row.actual or "—", 6, 6, TEXT),
            (_number(row.weight), 7, 7, RIGHT), (_number(row.score), 8, 8, RIGHT), (row.reason, 9, 9, TEXT),
        ])
    _closing(document, grid, table)
    document.save(target)


def department_file_name(table: DepartmentTable) -> str:
    return f"{table.agency_code}-{table.agency_name}{table.year}年度部门整体绩效自评表.docx"


def write_department_evaluation(table: DepartmentTable, target) -> None:
    """One 部门整体支出绩效自评表 (.docx) into ``target``: the 自评表's layout with the agency in the project's place and
    one row per department-wide goal (类别 | 绩效目标 over two columns | 指标性质 … 未完成原因分析)."""
    document = _page("部门整体支出绩效自评表", f"{table.title}表", table.year)
    grid = _Grid(document)
    grid.row([("部门（单位）名称", 0, 1, LABEL), (f"{table.agency_code} {table.agency_name}", 2, 9, TEXT)])
    _budget(grid, table, "部门预算资金（万元）")
    header = grid.row([("类别", 0, 0, LABEL), ("绩效目标", 1, 2, LABEL), *((label, i, i, LABEL) for i, label in enumerate(
        ("指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分", "未完成原因分析"), start=3))])
    _repeat_header(header)
    for row in table.rows:
        grid.row([
            (row.category, 0, 0, TEXT), (row.name, 1, 2, TEXT), (row.nature, 3, 3, CENTER),
            (row.value, 4, 4, RIGHT if row.unit else TEXT), (row.unit, 5, 5, CENTER), (row.actual or "—", 6, 6, TEXT),
            (_number(row.weight), 7, 7, RIGHT), (_number(row.score), 8, 8, RIGHT), (row.reason, 9, 9, TEXT),
        ])
    _closing(document, grid, table)
    document.save(target)


# ---------------------------------------------------------------- Excel

SUMMARY_COLUMNS = (
    ("年度", 7, None), ("单位编码", 10, None), ("单位名称", 24, None), ("项目编码", 24, None), ("项目名称", 34, None),
    ("科室", 16, None), ("状态", 14, None), ("年初预算数（万元）", 14, "#,##0.00"), ("调整后预算数（万元）", 14, "#,##0.00"),
    ("执行数（万元）", 14, "#,##0.00"), ("执行率（%）", 10, "0.00"), ("预算执行得分", 10, "0.00"), ("指标得分", 10, "0.00"),
    ("总分", 8, "0.00"), ("等级", 6, None), ("红色预警", 10, None), ("黄色预警", 10, None), ("评价结论", 40, None),
)
SUMMARY_TITLE = "自评汇总"
RED_TEXT = "指标得分率高于执行率逾 5 个百分点"
YELLOW_TEXT = "执行率低于 80%"


def summary_file_name(agency_code: str, agency_name: str, year: int, *, public: bool, today: datetime.date) -> str:
    scope = "已公开" if public else "全部"
    return f"{agency_code}{agency_name}{year}年度绩效自评汇总（{scope}）-{today:%Y%m%d}.xlsx"


def _summary_line(sheet, row: int, record, formats, plain) -> None:
    values = [
        record.year, record.agency_code, record.agency_name, record.project_code, record.title, record.section,
        record.state_label, record.budget, record.adjusted_budget, record.spent, record.rate, record.budget_score,
        record.indicators_score, record.total, record.grade, RED_TEXT if record.red else "",
        YELLOW_TEXT if record.yellow else "", record.conclusion,
    ]
    for column, value in enumerate(values):
        if value is None or value == "":
            continue
        if isinstance(value, str):
            write_text(sheet, row, column, value, formats[column], plain)
        else:
            sheet.write_number(row, column, float(value), formats[column])


def write_summary(records: Iterable, target, *, average: Decimal | None, department=None, tmpdir: str | None = None) -> int:
    """The agency's self-evaluations of a year, one row per record (``evaluations.agency.SummaryRow``), then the
    average, then (``department``, a ``SummaryRow`` too) the department-wide self-evaluation's line. Returns how many
    project rows were written."""
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    if tmpdir:
        options["tmpdir"] = tmpdir
    book = xlsxwriter.Workbook(target, options)
    header = book.add_format({"bold": True, "bg_color": "#DDE5F0", "bottom": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    plain = book.add_format({"valign": "top"})
    formats = [book.add_format({"num_format": fmt, "valign": "top"}) if fmt else plain for _title, _width, fmt in SUMMARY_COLUMNS]
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(SUMMARY_TITLE)
    for column, (title, width, _fmt) in enumerate(SUMMARY_COLUMNS):
        sheet.set_column(column, column, width)
        sheet.write_string(0, column, title, header)
    sheet.freeze_panes(1, 0)
    count = 0
    for record in records:
        count += 1
        _summary_line(sheet, count, record, formats, plain)
    sheet.autofilter(0, 0, max(count, 1), len(SUMMARY_COLUMNS) - 1)
    sheet.write_string(count + 2, 4, f"平均分（{count} 个项目中已评分的）", bold)
    if average is not None:
        sheet.write_number(count + 2, 13, float(average), formats[13])
    if department is not None:
        sheet.write_string(count + 4, 0, "部门整体自评", bold)
        _summary_line(sheet, count + 5, department, formats, plain)
    book.close()
    return count
