"""绩效运行监控表 as a Word file, in the common layout of the 项目支出绩效目标执行监控表 (财政部's 运行监控 template,
财预〔2019〕136号 附件, as provinces reuse it): the project and its unit, the budget and its execution to the point,
then one row per indicator with its annual value, the value reached, the forecast for the year, the likelihood of
reaching it, the reason of a deviation (经费保障, 制度保障, 人员保障, 硬件保障, 其他) and the corrective measures; the
lights and how they were graded under it. A4 landscape.
"""

from __future__ import annotations

from typing import BinaryIO

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from monitoring.models import Likelihood, ReasonKind
from projects.values import format_number

FONT = "宋体"
INDICATOR_COLUMNS = (
    "一级指标", "二级指标", "三级指标", "年度指标值", "当前完成值", "全年预计完成情况", "完成目标可能性", "偏差原因", "纠偏措施", "评价",
)
LIKELIHOODS = dict(Likelihood.choices)
REASONS = dict(ReasonKind.choices)


def _font(run, size: float = 10.5, bold: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def _cell(cell, text: str, *, bold: bool = False, size: float = 9) -> None:
    cell.text = ""
    paragraph = cell.paragraphs[0]
    _font(paragraph.add_run(text or ""), size, bold)


def _line(document, text: str, *, size: float = 10.5, bold: bool = False, center: bool = False) -> None:
    paragraph = document.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(text), size, bold)


def write(target: BinaryIO, report, data: dict) -> None:
    """``data``: the report as ``monitoring.serializers.represent`` gives it (lights and their arithmetic)."""
    sheet = report.sheet
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    _line(document, "项目支出绩效目标执行监控表", size=16, bold=True, center=True)
    _line(document, f"（{sheet.fiscal_year.year}年度 · {data['point_label']}，截至 {report.point_date:%Y-%m-%d}）", center=True)

    facts = document.add_table(rows=3, cols=4)
    facts.style = "Table Grid"
    rows = (
        ("项目名称", sheet.display_title, "项目编码", sheet.project.code),
        ("主管部门及代码", report.agency.unit_line, "实施单位（科室）", report.section.name if report.section_id else ""),
        ("监控规则", data["pack"], "状态", data["state_label"]),
    )
    for row, values in zip(facts.rows, rows):
        for at, (cell, text) in enumerate(zip(row.cells, values)):
            _cell(cell, text, bold=at % 2 == 0)

    _line(document, "")
    spending = data["spending"]
    money = document.add_table(rows=2, cols=5)
    money.style = "Table Grid"
    heads = ("年度预算数（万元）", f"截至{data['point_label']}累计执行数（万元）", "执行率", "支出评价", "评价依据")
    values = (
        format_number(sheet.budget_total),
        "未填报" if spending["amount"] is None else format_number(spending["amount"]),
        f"{format_number(spending['percent'])}%", spending["label"], spending["how"],
    )
    for cell, text in zip(money.rows[0].cells, heads):
        _cell(cell, text, bold=True)
    for cell, text in zip(money.rows[1].cells, values):
        _cell(cell, text)

    _line(document, "")
    table = document.add_table(rows=1 + len(data["rows"]), cols=len(INDICATOR_COLUMNS))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, INDICATOR_COLUMNS):
        _cell(cell, text, bold=True)
    for row, item in zip(table.rows[1:], data["rows"]):
        reason = REASONS.get(item["reason_kind"], "")
        if item["reason_note"]:
            reason = f"{reason}：{item['reason_note']}" if reason else item["reason_note"]
        values = (
            item["category"], item["subcategory"], item["indicator"], item["target"],
            item["level"] if item["qualitative"] else item["current"], item["forecast"],
            LIKELIHOODS.get(item["likelihood"], ""), reason, item["measures"],
            f"{item['label']}\n{item['how']}" if item["how"] else item["label"],
        )
        for cell, text in zip(row.cells, values):
            _cell(cell, text)

    _line(document, "")
    _line(document, f"全表评价：{data['label']}（{data['how']}）", bold=True)
    document.save(target)
