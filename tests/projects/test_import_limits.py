"""Import refuses what the database cannot hold (per file, in Chinese; never a 500, never a silent truncation),
strips the control characters Word had, and never renames the project of a published sheet."""

import copy
import io
from decimal import Decimal

import pytest

from core.errors import AppError
from projects import exporting
from projects.docx.data import IndicatorData
from projects.docx.reader import read_document
from projects.models import Indicator, Project, SheetState, TargetSheet
from projects.services import document_import


@pytest.fixture
def data(seeded, seed_docx):
    return read_document(seed_docx)


def refused(data, year=2024) -> str:
    with pytest.raises(AppError) as error:
        document_import(data=data, year=year)
    assert error.value.status == 400
    return error.value.message


def test_import_refuses_13_digit_amounts(data):
    data.sheets[0].budget_total = Decimal("1000000000000")
    message = refused(data)
    assert "预算数" in message and "第1张表" in message


def test_import_refuses_a_plan_of_123456_percent(data):
    data.sheets[1].plan[0].percent = Decimal("123456")
    message = refused(data)
    assert "资金支出计划" in message and "第2张表" in message


def test_import_refuses_a_heading_number_of_99999(data):
    data.sheets[0].number = 99999
    assert "序号" in refused(data)


def test_import_refuses_names_and_codes_longer_than_their_columns(data):
    long_code = copy.deepcopy(data)
    long_code.sheets[0].project_code = "9" * 41
    assert "项目编码" in refused(long_code)
    long_name = copy.deepcopy(data)
    long_name.agency_name = "局" * 101
    assert "单位名称" in refused(long_name)
    long_project = copy.deepcopy(data)
    long_project.sheets[2].project_name = "名" * 201
    assert "项目名称" in refused(long_project)


def test_import_refuses_long_indicator_texts_instead_of_truncating_them(data):
    before = list(Indicator.objects.order_by("pk").values_list("name", flat=True))
    data.sheets[0].indicators[0].name = "长" * 201
    data.sheets[0].indicators[1].target_value = "值" * 101
    message = refused(data)
    assert "三级指标" in message and "指标值" in message
    assert list(Indicator.objects.order_by("pk").values_list("name", flat=True)) == before


def test_import_refuses_more_than_200_rows_and_32768_rows(data):
    row = IndicatorData("产出指标", "数量指标", "数量", "", "≥1个", "")
    data.sheets[0].indicators = [row] * 201
    assert "200" in refused(data)
    data.sheets[0].indicators = [row] * 32768
    assert "200" in refused(data)


def test_import_strips_control_characters_word_had(data):
    data.sheets[0].purpose = "用于\x07交易\x0b中心"
    data.sheets[0].indicators[0].name = "数\x01量"
    data.goals.overall[0] = "总体\x07" + data.goals.overall[0]
    document_import(data=data, year=2024)
    sheet = TargetSheet.objects.get(position=1, fiscal_year__year=2024)
    assert sheet.purpose == "用于交易中心"
    assert sheet.indicators.order_by("order")[0].name == "数量"
    exporting.export_package(agency=sheet.agency, year=2024, target=io.BytesIO())


def test_import_for_another_year_does_not_rename_the_project_of_a_published_sheet(data):
    sheet = TargetSheet.objects.get(position=1, fiscal_year__year=2024)
    TargetSheet.objects.filter(pk=sheet.pk).update(state=SheetState.PUBLISHED)
    old_name = sheet.project.name
    data.sheets[0].project_name = "改过的项目名称"
    result = document_import(data=data, year=2025)
    assert Project.objects.get(pk=sheet.project_id).name == old_name
    assert any("改过的项目名称" in note and old_name in note for note in result.notes)
    assert "改过的项目名称" in result.summary()


def test_import_still_renames_a_project_without_a_published_sheet(data):
    sheet = TargetSheet.objects.get(position=2, fiscal_year__year=2024)
    data.sheets[1].project_name = "新名称"
    result = document_import(data=data, year=2025)
    assert Project.objects.get(pk=sheet.project_id).name == "新名称"
    assert result.notes == []
