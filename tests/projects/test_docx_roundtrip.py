"""What the writer produces, the reader reads back unchanged."""

from __future__ import annotations

import dataclasses
import io
from decimal import Decimal

import pytest

from projects.docx.data import DepartmentGoalsData, DocumentData, IndicatorData, SheetData
from projects.docx.reader import read_document
from projects.docx.writer import write_document, write_sheet
from tests.projects.docx_helpers import FIXTURE, make_sheet


@pytest.fixture(scope="module")
def seed() -> DocumentData:
    return read_document(FIXTURE)


def _package_roundtrip(document: DocumentData) -> DocumentData:
    buffer = io.BytesIO()
    write_document(document, buffer)
    return read_document(buffer.getvalue(), filename="导出.docx")


def _sheet_roundtrip(sheet: SheetData, goals: DepartmentGoalsData | None = None) -> DocumentData:
    buffer = io.BytesIO()
    write_sheet(sheet, buffer, goals=goals)
    buffer.seek(0)
    return read_document(buffer, filename="单个项目.docx")


def _package(*sheets: SheetData, goals: DepartmentGoalsData | None = None) -> DocumentData:
    return DocumentData("483001", "乐亭县行政审批局本级", goals or DepartmentGoalsData(), list(sheets))


def test_the_seed_package_reads_back_equal(seed: DocumentData) -> None:
    assert _package_roundtrip(seed) == seed


@pytest.mark.parametrize("scope", ["全部", "已公开"])
def test_the_title_page_of_an_exported_package_is_not_read_as_content(seed: DocumentData, scope: str) -> None:
    import datetime

    exported = dataclasses.replace(seed, year=2024, scope=scope, generated=datetime.date(2025, 1, 6))
    assert _package_roundtrip(exported) == seed  # goals and sheets equal; the title page is the writer's alone


def test_the_export_of_the_export_is_stable(seed: DocumentData) -> None:
    once = _package_roundtrip(seed)
    assert _package_roundtrip(once) == seed


@pytest.mark.parametrize("index", range(9))
def test_each_seed_sheet_alone(seed: DocumentData, index: int) -> None:
    sheet = seed.sheets[index]
    assert _sheet_roundtrip(sheet) == _package(sheet)


def test_a_sheet_with_the_department_goals(seed: DocumentData) -> None:
    assert _sheet_roundtrip(seed.sheets[0], seed.goals) == _package(seed.sheets[0], goals=seed.goals)


CHECKPOINT_MONTHS = [
    (),
    (12,),
    (6, 12),
    (4, 8, 12),
    (3, 6, 10, 12),
    (3, 5, 7, 9, 12),
    (2, 4, 6, 8, 10, 12),
    tuple(range(1, 8)),
    tuple(range(1, 13)),
]


@pytest.mark.parametrize("months", CHECKPOINT_MONTHS)
def test_any_number_of_checkpoints(months: tuple[int, ...]) -> None:
    sheet = make_sheet(plan_months=months)
    assert _sheet_roundtrip(sheet).sheets[0].plan == sheet.plan


def test_amounts_percents_and_multiline_text() -> None:
    sheet = make_sheet(
        budget_total=Decimal("1234567.89"),
        fiscal_funds=Decimal("0.00"),
        other_funds=Decimal("1234567.89"),
        purpose="第一行\n第二行",
        goal="1.目标一\n2.目标二",
    )
    sheet.plan[0].percent = Decimal("12.5")
    assert _sheet_roundtrip(sheet) == _package(sheet)


def test_indicator_categories_survive_merging() -> None:
    indicators = [
        IndicatorData("产出指标", "数量指标", "甲", "", "1个", ""),
        IndicatorData("产出指标", "数量指标", "乙", "描述", "2个", "依据"),
        IndicatorData("产出指标", "质量指标", "丙", "描述", "≥98%", "依据"),
        IndicatorData("效益指标", "质量指标", "丁", "描述", "逐年提升", "依据"),
        IndicatorData("效益指标", "质量指标", "戊", "描述", "有效", "依据"),
        IndicatorData("满意度指标", "服务对象满意度指标", "己", "描述", "≥90%", "依据"),
    ]
    sheet = make_sheet(indicators=indicators)
    assert _sheet_roundtrip(sheet).sheets[0].indicators == indicators


def test_a_sheet_without_indicators() -> None:
    sheet = make_sheet(indicators=[])
    assert _sheet_roundtrip(sheet) == _package(sheet)


def test_several_sheets_keep_number_title_and_order() -> None:
    sheets = [make_sheet(number) for number in (1, 2, 3)]
    sheets[1] = dataclasses.replace(sheets[1], title="另一个标题")
    goals = DepartmentGoalsData(overall=["总体一", "总体二"], itemized=[], safeguards=["措施一"])
    assert _package_roundtrip(_package(*sheets, goals=goals)) == _package(*sheets, goals=goals)
