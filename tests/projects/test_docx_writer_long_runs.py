"""Word export is linear in the rows of one category: 1,000 rows in one category write (no RecursionError)
and read back with the category and subcategory cells merged over their runs."""

import io
from decimal import Decimal

import docx

from projects.docx.data import DepartmentGoalsData, IndicatorData, SheetData
from projects.docx.reader import read_document
from projects.docx.writer import write_document, write_sheet
from projects.docx.data import DocumentData


def sheet_with(rows: list[IndicatorData]) -> SheetData:
    return SheetData(
        number=1, title="长表", agency_code="483001", agency_name="乐亭县行政审批局本级", project_code="P0001",
        project_name="长表", budget_total=Decimal(1), fiscal_funds=Decimal(1), other_funds=Decimal(0), purpose="用途", plan=[], goal="目标",
        indicators=rows,
    )


def test_1000_rows_in_one_category_export_with_merged_cells():
    rows = [IndicatorData("产出指标", "数量指标" if i < 600 else "质量指标", f"指标{i}", "", "≥1个", "") for i in range(1000)]
    buffer = io.BytesIO()
    write_sheet(sheet_with(rows), buffer)
    table = docx.Document(io.BytesIO(buffer.getvalue())).tables[0]
    tcs = [tr.tc_lst for tr in table._tbl.tr_lst][7:]  # the indicator part, under the sheet's header part
    assert len(tcs) == 1001
    category = [row[0].vMerge for row in tcs[1:]]
    assert category[0] == "restart" and all(v == "continue" for v in category[1:])
    subcategory = [row[1].vMerge for row in tcs[1:]]
    assert subcategory[0] == "restart" and subcategory[600] == "restart"
    assert all(v == "continue" for i, v in enumerate(subcategory) if i not in (0, 600))
    text = lambda tc: tc.xpath("string(.)")  # noqa: E731
    assert text(tcs[1][0]) == "产出指标" and text(tcs[601][1]) == "质量指标"
    assert text(tcs[1000][2]) == "指标999"

def test_merged_runs_read_back_to_the_same_rows():
    rows = [IndicatorData("产出指标", "数量指标", f"指标{i}", "描述", "≥1个", "依据") for i in range(300)]
    rows += [IndicatorData("效益指标", "社会效益指标", "效益", "", "有效改善", ""), IndicatorData("满意度指标", "服务对象满意度指标", "满意度", "", "≥95%", "")]
    buffer = io.BytesIO()
    document = DocumentData("483001", "乐亭县行政审批局本级", DepartmentGoalsData(["总体"]), [sheet_with(rows)])
    write_document(document, buffer)
    back = read_document(buffer.getvalue(), filename="long.docx")
    assert back.sheets[0].indicators == rows
