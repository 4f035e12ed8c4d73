"""Excel summaries: from the sheet list (“导出 Excel” keeps the filters) and from /api/sheets/export.xlsx, with
the rows the user may see, a 合计 that sums the budgets, frozen headers, filters, formats and dates as dates; user
text is always text (never a formula), numbers are numbers, and the 合计 shows without recalculation."""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import shutil
import subprocess
import threading
import zipfile
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape
from rest_framework.test import APIClient

from exports import selectors, services
from exports.xlsx import write_summary
from projects.models import Indicator, TargetSheet
from tests.exports.conftest import drive

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_of(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX
    assert ".xlsx" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows_of(worksheet) -> list[dict]:
    values = list(worksheet.iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, row)) for row in values[1:]]


def browser(client, user):
    client.force_login(user)
    return client


def test_a_section_head_gets_the_sheets_of_the_list_with_totals_and_formats(client, people, sheet):
    drive(sheet, ("submit", people.staff_ggzy), ("approve", people.head_ggzy))  # submitted and now at the leader
    book = workbook_of(browser(client, people.head_ggzy).get(reverse("sheet_list_xlsx"), {"year": 2024}))
    assert book.sheetnames == ["项目汇总", "指标明细"]
    summary = book["项目汇总"]
    rows = rows_of(summary)
    data, total = rows[:-1], rows[-1]
    visible = TargetSheet.objects.filter(section__name="公共资源交易中心", fiscal_year__year=2024).order_by("position")
    assert [r["项目编码"] for r in data] == [s.project.code for s in visible]
    assert {r["科室"] for r in data} == {"公共资源交易中心"}
    # 合计: a SUBTOTAL over exactly the data rows (it follows the autofilter), and those rows sum to the budgets
    n = len(data)
    assert total["项目名称"] == f"合计（{n} 个项目）"
    assert total["预算数（万元）"] == f"=SUBTOTAL(109,I2:I{n + 1})"
    assert sum(Decimal(str(r["预算数（万元）"])) for r in data) == visible.aggregate(s=Sum("budget_total"))["s"]
    assert sum(Decimal(str(r["其中：财政资金（万元）"])) for r in data) == visible.aggregate(s=Sum("fiscal_funds"))["s"]
    # frozen header, filter over the data rows, number formats, widths, plan points and dates as dates
    assert summary.freeze_panes == "A2"
    assert summary.auto_filter.ref == f"A1:{summary.cell(1, summary.max_column).column_letter}{n + 1}"
    assert summary["I2"].number_format == "#,##0.00" and summary[f"I{n + 2}"].number_format == "#,##0.00"
    assert round(summary.column_dimensions["F"].width) in (34, 35)  # 34 characters and the cell padding
    mine = next(r for r in data if r["项目编码"] == sheet.project.code)
    assert (mine["状态"], mine["3月底（%）"], mine["12月底（%）"]) == ("局领导审批", 25, 100)
    assert isinstance(mine["提交日期"], datetime.datetime) and mine["提交日期"].date() == datetime.date.today()
    assert mine["局领导审批通过日期"] is None and mine["公开日期"] is None
    submitted_cell = summary.cell(data.index(mine) + 2, list(rows[0]).index("提交日期") + 1)
    assert submitted_cell.number_format == "yyyy-mm-dd" and submitted_cell.is_date
    assert mine["体检"] == "通过"
    checked = {r["项目编码"]: r["体检"] for r in data}
    assert checked["13022524P004RE2100364"] != "" and all(v for v in checked.values())
    # one row per indicator, in the sheets' order
    details = rows_of(book["指标明细"])
    assert len(details) == Indicator.objects.filter(sheet__in=visible).count()
    first = details[0]
    assert (first["项目编码"], first["一级指标"]) == (visible[0].project.code, "产出指标")
    assert book["指标明细"].freeze_panes == "A2" and book["指标明细"].auto_filter.ref == f"A1:P{len(details) + 1}"


def test_the_excel_link_keeps_the_list_filters(client, people):
    page = browser(client, people.finance).get(reverse("sheet_list"), {"year": 2024, "state": "draft", "q": "公共资源"})
    html = page.content.decode()
    assert 'href="/sheets/export.xlsx?year=2024&amp;state=draft&amp;q=%E5%85%AC%E5%85%B1%E8%B5%84%E6%BA%90"' in html
    book = workbook_of(client.get("/sheets/export.xlsx?year=2024&state=draft&q=公共资源"))
    # finance sees no drafts of the agency: the export has none either, only its 合计 row
    assert len(rows_of(book["项目汇总"])) == 1


def test_filters_narrow_the_rows(client, people, sheet):
    browser(client, people.leader)
    everything = rows_of(workbook_of(client.get(reverse("sheet_list_xlsx"), {"year": 2024}))["项目汇总"])[:-1]
    narrowed = rows_of(workbook_of(client.get(reverse("sheet_list_xlsx"), {"year": 2024, "q": "土地"}))["项目汇总"])[:-1]
    assert len(everything) == 9
    assert [r["项目名称"] for r in narrowed] == ["公共资源土地交易经费"]


def test_other_section_other_agency_and_anonymous(client, people, sheet, foreign_sheet):
    codes = lambda user: {r["项目编码"] for r in rows_of(workbook_of(browser(client, user).get(reverse("sheet_list_xlsx")))["项目汇总"])[:-1]}  # noqa: E731
    assert sheet.project.code in codes(people.staff_ggzy)
    assert sheet.project.code not in codes(people.staff_xy)  # other section
    assert codes(people.other_staff) == {foreign_sheet.project.code}  # other agency: only its own
    assert foreign_sheet.project.code not in codes(people.finance)
    client.logout()
    response = client.get(reverse("sheet_list_xlsx"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_api_export_has_the_api_list_rows(people, sheet, foreign_sheet):
    api = APIClient()
    api.force_authenticate(people.staff_ggzy)
    listed = api.get("/api/sheets/", {"year": 2024, "size": 100}).json()["results"]
    book = workbook_of(api.get("/api/sheets/export.xlsx", {"year": 2024}))
    assert [r["项目编码"] for r in rows_of(book["项目汇总"])[:-1]] == [s["project_code"] for s in listed]
    other = APIClient()
    other.force_authenticate(people.other_staff)
    assert [r["项目编码"] for r in rows_of(workbook_of(other.get("/api/sheets/export.xlsx"))["项目汇总"])[:-1]] == [foreign_sheet.project.code]


def test_the_api_refuses_bad_filters_and_anonymous(people):
    api = APIClient()
    assert api.get("/api/sheets/export.xlsx").status_code in (401, 403)
    api.force_authenticate(people.finance)
    response = api.get("/api/sheets/export.xlsx", {"state": "nonsense"})
    assert response.status_code == 400 and "未知的状态" in response.json()["detail"]


# ---------------------------------------------------------------- user text is text, numbers are numbers

HOSTILE = {
    "name": '=HYPERLINK("http://evil.example/x","点此查看附件")',
    "description": "=100%",
    "target_value": "=10台",
    "basis": "+1",
}
LEADING = ("-2", "@x", "\t=1+1", "\r=2+2", "#N/A")


@pytest.fixture
def hostile_sheet(people, sheet):
    """Sheet 3 with cells a spreadsheet would read as formulas, error codes or numbers."""
    sheet.project.name = "=1+1项目"
    sheet.project.save()
    first, *others = list(sheet.indicators.order_by("order", "id"))
    for field, value in HOSTILE.items():
        setattr(first, field, value)
    first.apply_parsed_value()
    first.save()
    for row, text in zip(others, LEADING):
        row.name = row.description = text
        row.basis = "上年\x0b数据"  # Word's vertical tab: a character no workbook can hold
        row.save()
    return sheet


def _worksheet_xml(content: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {name: archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/sheet")}


def test_user_text_is_written_as_text_never_as_a_formula(client, people, hostile_sheet):
    response = browser(client, people.staff_ggzy).get(reverse("sheet_list_xlsx"), {"year": 2024})
    content = b"".join(response.streaming_content)
    book = load_workbook(io.BytesIO(content))
    details = book["指标明细"]
    header = [c.value for c in details[1]]
    cells = {}
    for row in details.iter_rows(min_row=2):
        for title, cell in zip(header, row):
            # a control character is stored as _xHHHH_ (what Excel shows decoded; openpyxl reads it as stored)
            cells.setdefault((title, unescape(cell.value) if isinstance(cell.value, str) else cell.value), cell)
    for field, title in (("name", "三级指标"), ("description", "绩效指标描述"), ("target_value", "指标值"), ("basis", "指标值确定依据")):
        cell = cells.get((title, HOSTILE[field]))
        assert cell is not None and cell.data_type == "s", (title, HOSTILE[field])
    for text in LEADING:
        assert cells[("三级指标", text)].data_type == "s" and cells[("绩效指标描述", text)].data_type == "s"
    assert ("指标值确定依据", "上年数据") in cells
    summary = book["项目汇总"]
    titles = [c.value for c in summary[1]]
    mine = next(row for row in summary.iter_rows(min_row=2) if row[titles.index("项目编码")].value == hostile_sheet.project.code)
    name = mine[titles.index("项目名称")]
    assert (name.value, name.data_type) == ("=1+1项目", "s")
    # numbers stay numbers
    assert mine[titles.index("年度")].data_type == "n" and mine[titles.index("预算数（万元）")].data_type == "n"
    assert all(isinstance(row[header.index("数值")].value, (int, float, type(None))) for row in details.iter_rows(min_row=2))
    # the file itself: no formula anywhere but the 合计 row of 项目汇总
    xml = _worksheet_xml(content)
    formulas = {name: re.findall(r'<c r="([A-Z]+)(\d+)"[^>]*><f>', text) for name, text in xml.items()}
    total_row = str(summary.max_row)
    assert {row for _, row in formulas["xl/worksheets/sheet1.xml"]} == {total_row}
    assert formulas["xl/worksheets/sheet2.xml"] == []


def test_the_total_row_carries_its_value_for_viewers_that_do_not_recalculate(client, people, sheet):
    response = browser(client, people.head_ggzy).get(reverse("sheet_list_xlsx"), {"year": 2024})
    content = b"".join(response.streaming_content)
    formulas = load_workbook(io.BytesIO(content))["项目汇总"]
    cached = load_workbook(io.BytesIO(content), data_only=True)["项目汇总"]  # what a viewer shows without recalculating
    n = formulas.max_row - 2
    for column in ("I", "K", "L"):  # 预算数, 财政资金, 其他资金 (J: 年初预算数, not summed)
        assert formulas[f"{column}{n + 2}"].value == f"=SUBTOTAL(109,{column}2:{column}{n + 1})"  # follows the autofilter
        data = [Decimal(str(cached[f"{column}{r}"].value)) for r in range(2, n + 2)]
        assert Decimal(str(cached[f"{column}{n + 2}"].value)) == sum(data)
    assert Decimal(str(cached[f"I{n + 2}"].value)) > 0


OFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(OFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_shows_the_text_as_written_and_the_totals(client, people, hostile_sheet, tmp_path):
    """What a person opening the file sees (LibreOffice Calc, each sheet saved as CSV of the displayed text)."""
    response = browser(client, people.staff_ggzy).get(reverse("sheet_list_xlsx"), {"year": 2024})
    book = tmp_path / "summary.xlsx"
    book.write_bytes(b"".join(response.streaming_content))
    # every sheet to its own CSV (UTF-8, the displayed text of each cell)
    options = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
    command = [OFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to", options,
               "--outdir", str(tmp_path), str(book)]
    subprocess.run(command, check=True, timeout=300, capture_output=True, env={**os.environ, "HOME": str(tmp_path)})

    def read(name):
        with open(tmp_path / f"summary-{name}.csv", encoding="utf-8", newline="") as handle:
            return list(csv.reader(handle))

    details, summary = read("指标明细"), read("项目汇总")
    shown = {value for row in details[1:] for value in row}
    assert {HOSTILE["name"], "=100%", "=10台", "+1", "-2", "@x"} <= shown
    assert "点此查看附件" not in shown and "1" not in [row[details[0].index("绩效指标描述")] for row in details[1:]]
    assert not any(value.startswith(("Err:", "#NAME", "#VALUE")) for value in shown)
    assert "=1+1项目" in {row[5] for row in summary[1:]}
    total = summary[-1]
    assert total[5].startswith("合计") and total[8] not in ("", "0", "0.00")
    assert Decimal(total[8].replace(",", "")) == sum(Decimal(row[8].replace(",", "")) for row in summary[1:-1])


# ---------------------------------------------------------------- the fast row writer


EDGE_TEXTS = (
    "=SUM(A1:A9)",  # a formula, as typed
    '<r><t>x</t></r></is></c><c r="Z2"><f>HYPERLINK("http://evil.example","看")</f></c><c><is><r>',  # XML of the file's own
    " 前后有空格 ",
    "A&B <c> \"引号\"",
    "_x0041_ 字面的转义",
    "第一行\r\n第二行\t制表",
    "\ufffe非字符",
)


def _cells(path) -> dict:
    """Every cell of every worksheet: value, type, number format, wrap; and each worksheet's size, panes and filter."""
    book = load_workbook(path)
    cells = {}
    for worksheet in book.worksheets:
        cells[worksheet.title] = (worksheet.max_row, worksheet.max_column, worksheet.freeze_panes, worksheet.auto_filter.ref)
        for row in worksheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    cells[(worksheet.title, cell.coordinate)] = (cell.value, cell.data_type, cell.number_format, cell.alignment.wrap_text)
    return cells, book.sheetnames, book.active.title


@pytest.mark.parametrize("row_limit", [services.ROW_LIMIT, 6])
def test_the_fast_rows_are_the_cells_xlsxwriter_writes_cell_by_cell(people, hostile_sheet, foreign_sheet, tmp_path, row_limit):
    """The 指标明细 and 项目汇总 rows written as XML by ``RowXml`` hold the same cells as XlsxWriter's own calls: a
    formula-looking text stays a text, dates stay dates, and a table split at the row limit splits the same way."""
    first = hostile_sheet.indicators.order_by("order", "id").first()
    first.description = EDGE_TEXTS[0]
    first.basis = EDGE_TEXTS[1]
    first.save()
    for row, text in zip(hostile_sheet.indicators.order_by("order", "id")[2:], EDGE_TEXTS[2:]):
        row.description = text
        row.save()
    drive(hostile_sheet, ("submit", people.staff_ggzy))  # a 提交日期
    filters = {"year": None, "section": None, "state": None, "agency": None, "search": None}
    written = {}
    for fast in (True, False):
        sheets = selectors.summary_sheets(people.staff_ggzy, filters)
        path = tmp_path / f"{fast}.xlsx"
        count = write_summary(
            selectors.summary_records(sheets), str(path), checkpoint_labels=selectors.checkpoint_labels(sheets),
            expected_rows=(sheets.count(), selectors.indicator_count(sheets)), row_limit=row_limit, fast=fast,
        )
        written[fast] = (count, *_cells(path))
    assert written[True] == written[False]
    count, cells, names, active = written[True]
    assert count >= 2 and names[:2] == (["目录", "项目汇总"] if row_limit == 6 else ["项目汇总", "指标明细"])
    texts = {value[0] for key, value in cells.items() if isinstance(key, tuple) and value[1] == "s"}
    assert {EDGE_TEXTS[0], EDGE_TEXTS[1], "=1+1项目", "=10台"} <= texts
    formula_cells = [key for key, value in cells.items() if isinstance(key, tuple) and str(value[0]).startswith("=") and value[1] == "f"]
    assert all(key[0].startswith("项目汇总") for key in formula_cells)  # only the 合计
    dates = [value for key, value in cells.items() if isinstance(key, tuple) and isinstance(value[0], datetime.datetime)]
    assert dates and all(value[2] == "yyyy-mm-dd" for value in dates)
    # leading and trailing spaces kept for Excel too (it trims a text that does not say to preserve them)
    xml = "".join(_worksheet_xml((tmp_path / "True.xlsx").read_bytes()).values())
    assert '<t xml:space="preserve"> 前后有空格 </t>' in xml and "<f>" not in xml.replace("<f>SUBTOTAL", "")


def test_the_rows_read_ahead_hand_over_their_errors_and_stop_with_the_export():
    """The next chunk is read in a thread: a database error there is raised to the export (which fails the job), and
    an export that stops early (its job claimed by another run) stops the reading too."""

    def failing():
        yield 1
        raise RuntimeError("数据库断开")

    rows = selectors._ahead(failing(), "default")
    assert next(rows) == 1
    with pytest.raises(RuntimeError, match="数据库断开"):
        next(rows)

    def endless():
        number = 0
        while True:
            number += 1
            yield number

    rows = selectors._ahead(endless(), "default")
    assert [next(rows), next(rows)] == [1, 2]
    rows.close()
    assert not any(thread.name == "xlsx-rows" and thread.is_alive() for thread in threading.enumerate())
