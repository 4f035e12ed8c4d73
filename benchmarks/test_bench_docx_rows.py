"""On demand: `make benchmark`. Word export of one sheet with 200, 1,000 and 5,000 indicator rows in one
category: linear in the rows (the merge of a category's run used to be quadratic and recursed once per row)."""

import io
from decimal import Decimal

import pytest

from projects.docx.data import IndicatorData, SheetData
from projects.docx.writer import write_sheet


def long_sheet(rows: int) -> SheetData:
    indicators = [IndicatorData("产出指标", "数量指标", f"指标{i}", "描述", "≥1个", "依据") for i in range(rows)]
    return SheetData(
        number=1, title="长表", agency_code="483001", agency_name="乐亭县行政审批局本级", project_code="P0001",
        project_name="长表", budget_total=Decimal(1), fiscal_funds=Decimal(1), other_funds=Decimal(0), purpose="用途",
        plan=[], goal="目标", indicators=indicators,
    )


@pytest.mark.parametrize("rows", [200, 1000, 5000])
def test_write_rows_in_one_category(benchmark, rows):
    sheet = long_sheet(rows)
    benchmark.pedantic(lambda: write_sheet(sheet, io.BytesIO()), rounds=3 if rows < 5000 else 1, iterations=1)
