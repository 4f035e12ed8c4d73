"""Excel summaries: from the sheet list (“导出 Excel” keeps the filters) and from /api/sheets/export.xlsx, with
the rows the user may see, a 合计 that sums the budgets, frozen headers, filters, formats and dates as dates."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

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
    assert summary.column_dimensions["F"].width == 34
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
    assert book["指标明细"].freeze_panes == "A2" and book["指标明细"].auto_filter.ref == f"A1:O{len(details) + 1}"


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
