"""绩效运行监控表 as a Word file, in the common layout of the 项目支出绩效目标执行监控表 (财政部's 运行监控 template,
财预〔2019〕136号 附件, as provinces reuse it): the project and its unit, the budget and its execution to the point,
then one row per indicator with its annual value, the value reached, the forecast for the year, the likelihood of
reaching it, the reason of a deviation (经费保障, 制度保障, 人员保障, 硬件保障, 其他) and the corrective measures; the
lights and how they were graded under it. A4 landscape.

``write_agency``: the same layout for every sheet of an agency at a point, one after another (a page each), from
the agency's monitoring table (``monitoring.county``: its scope, filters and batched reads) and its reports' rows
read in one query; a report the reader may not open yet (a draft, for finance) shows its state only.
"""

from __future__ import annotations

from typing import BinaryIO

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from docx.enum.text import WD_BREAK

from monitoring import grading, reporting
from monitoring.models import REPORT_CHAIN, Likelihood, MonitoringRow, ReasonKind
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


def _landscape() -> docx.document.Document:
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    return document


def write(target: BinaryIO, report, data: dict) -> None:
    """``data``: the report as ``monitoring.serializers.represent`` gives it (lights and their arithmetic)."""
    document = _landscape()
    _sheet_part(document, report.sheet, report.point_date, data)
    document.save(target)


def _sheet_part(document, sheet, point_date, data: dict) -> None:
    """One sheet's 绩效运行监控表: ``data`` as ``represent`` gives it (``rows`` empty and ``note`` set when the
    report is not there to show)."""
    _line(document, "项目支出绩效目标执行监控表", size=16, bold=True, center=True)
    # a point is a date of its year: the year read from it (no query per sheet of an agency)
    _line(document, f"（{point_date.year}年度 · {data['point_label']}，截至 {point_date:%Y-%m-%d}）", center=True)

    facts = document.add_table(rows=3, cols=4)
    facts.style = "Table Grid"
    rows = (
        ("项目名称", sheet.display_title, "项目编码", sheet.project.code),
        ("主管部门及代码", sheet.agency.unit_line, "实施单位（科室）", sheet.section.name if sheet.section_id else ""),
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
    if data.get("note"):
        _line(document, data["note"], bold=True)
        return
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


def _row_data(pack, point, row: MonitoringRow, spending: reporting.Spending) -> dict:
    light = None
    if reporting.has_value(row):
        try:
            light = grading.attainment_light(pack, reporting.progress_of(row), point_date=point.date, spending=spending.actual)
        except grading.GradingError:
            light = None
    return {
        "category": row.category, "subcategory": row.subcategory, "indicator": row.name, "target": row.target,
        "qualitative": reporting.is_qualitative(row), "current": row.current, "level": row.level,
        "forecast": row.forecast, "likelihood": row.likelihood, "reason_kind": row.reason_kind,
        "reason_note": row.reason_note, "measures": row.measures,
        "label": light.label if light is not None else "未填写", "how": light.how if light is not None else "",
        "light": light,
    }


def agency_data(page, row, report_rows: list | None) -> dict:
    """One sheet of an agency's table (``county.Row``) as ``_sheet_part`` reads it, graded as the report's page
    grades it (``reporting.grade``: the same rules on the same figures, read for the whole page at once)."""
    money, spending = row.money, row.spending
    data = {
        "point_label": page.point.label, "pack": page.pack.name,
        "spending": {"amount": spending.amount, "percent": spending.actual, "label": money.label, "how": money.how},
        "rows": [], "note": "",
    }
    report = row.report
    if report is None:
        data.update(state_label="未填报", note=f"{page.point.label}的运行监控表尚未填报。")
        return data
    data["state_label"] = REPORT_CHAIN.label(report.state)
    if not row.report_readable:
        data["note"] = f"运行监控表处于“{data['state_label']}”状态，报送到您这一步后可查看内容。"
        return data
    data["rows"] = [_row_data(page.pack, page.point, item, spending) for item in report_rows or ()]
    sheet = grading.worst([money, *(item["light"] for item in data["rows"] if item["light"] is not None)])
    data.update(label=sheet.label, how=sheet.how)
    return data


def write_agency(target: BinaryIO, page, rows: list) -> None:
    """Every sheet of ``rows`` (an agency's monitoring table at ``page.point``, every page of it) in the common
    layout, a page each. Their reports' rows are read in one query."""
    readable = [row.report.pk for row in rows if row.report is not None and row.report_readable]
    by_report: dict[int, list] = {}
    for item in MonitoringRow.objects.filter(report_id__in=readable).order_by("report_id", "order", "id"):
        by_report.setdefault(item.report_id, []).append(item)
    document = _landscape()
    for at, row in enumerate(rows):
        if at:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        report_rows = by_report.get(row.report.pk) if row.report is not None else None
        _sheet_part(document, row.sheet, page.point.date, agency_data(page, row, report_rows))
    if not rows:
        _line(document, "没有符合条件的已公开绩效目标表。")
    document.save(target)
