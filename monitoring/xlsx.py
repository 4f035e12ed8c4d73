"""运行监控汇总 as an Excel workbook: the county table's rows (every page of the filters), one row per sheet, with a
frozen header and an autofilter. At most ``EXPORT_MAX`` sheets: a larger table is refused with a Chinese message
asking for a narrower filter (by agency or grade).

Every text is written as a text cell (``write_string``) in a workbook that turns no string into a formula, number or
link: a project name beginning with ``=`` stays text (OWASP, CSV injection). Percentages are numbers.
"""

from __future__ import annotations

from typing import BinaryIO

import xlsxwriter

from core import errors
from monitoring import county, grading

EXPORT_MAX = 5000
_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
            "in_memory": True}
COLUMNS = (
    ("单位", 28), ("项目编码", 22), ("项目名称", 36), ("科室", 16), ("累计支出（万元）", 12), ("累计支出进度（%）", 12),
    ("支出灯", 8), ("支出灯算式", 48), ("运行监控表", 12), ("监控表灯色", 10), ("处置期限", 12), ("处置决定", 18), ("逾期后果", 12),
)


def county_rows(user, **filters) -> tuple[county.Page, list]:
    """Every row of the filters, a keyset page at a time; refused beyond ``EXPORT_MAX``."""
    rows, after, first = [], None, None
    while True:
        page = county.county_page(user, after=after, size=county.PAGE_MAX, **filters)
        first = first or page
        rows += page.rows
        if len(rows) > EXPORT_MAX:
            raise errors.invalid(f"导出最多 {EXPORT_MAX} 张绩效目标表，当前筛选超过此数：请按单位编码或灯色缩小范围后再导出。")
        if page.next_after is None:
            return first, rows
        after = page.next_after


def write(target: BinaryIO, page: county.Page, rows: list) -> None:
    workbook = xlsxwriter.Workbook(target, _OPTIONS)
    header = workbook.add_format({"bold": True, "bg_color": "#DDE5F0", "text_wrap": True, "valign": "vcenter"})
    number = workbook.add_format({"num_format": "0.00"})
    sheet = workbook.add_worksheet(f"{page.point.label}运行监控"[:31])
    for column, (title, width) in enumerate(COLUMNS):
        sheet.set_column(column, column, width)
        sheet.write_string(0, column, title, header)
    for at, row in enumerate(rows, start=1):
        report = row.report
        disposal = row.disposal
        texts = {
            0: row.sheet.agency.unit_line, 1: row.sheet.project.code, 2: row.sheet.display_title,
            3: row.sheet.section.name if row.sheet.section_id else "", 6: row.money.label, 7: row.money.how,
            8: report.get_state_display() if report is not None else "未填报",
            9: grading.COLOUR_LABELS.get(report.colour, "") if report is not None and report.colour else "",
            10: f"{disposal.due:%Y-%m-%d}" if disposal is not None else "", 11: disposal.choice if disposal is not None else "",
            12: disposal.consequence if disposal is not None else "",
        }
        for column, text in texts.items():
            sheet.write_string(at, column, text or "")
        if row.spending.amount is not None:
            sheet.write_number(at, 4, float(row.spending.amount), number)
        sheet.write_number(at, 5, float(row.spending.actual), number)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(COLUMNS) - 1)
    workbook.close()
