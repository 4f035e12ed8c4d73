"""Writing budget performance target packages (.docx) from plain data."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tc

from projects.docx.data import DepartmentGoalsData, DocumentData, SheetData
from projects.docx.reader import read_document
from projects.docx.writer import format_amount, format_percent, write_document, write_sheet
from tests.projects.docx_helpers import FIXTURE, SEED_SHEETS, all_cell_texts, make_sheet, open_docx, squash


@pytest.fixture(scope="module")
def seed() -> DocumentData:
    return read_document(FIXTURE)


@pytest.fixture(scope="module")
def export(seed: DocumentData) -> bytes:
    buffer = io.BytesIO()
    write_document(seed, buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def exported(export: bytes) -> Document:
    return open_docx(export)


def _gridspans(tcs: list[CT_Tc]) -> list[int]:
    return [tc.grid_span for tc in tcs]


def test_every_cell_of_the_seed_tables_is_in_the_export(exported: Document) -> None:
    seed_cells = {squash(text) for text in all_cell_texts(docx.Document(str(FIXTURE)))} - {""}
    export_cells = {squash(text) for text in all_cell_texts(exported)}
    assert len(docx.Document(str(FIXTURE)).tables) == 18
    assert "其中：财政资金" in seed_cells  # the seed writes “其中：财政    资金”
    assert seed_cells - export_cells == set()


def test_headings_and_sections(exported: Document) -> None:
    headings = [p.text for p in exported.paragraphs if p.style.name.startswith("Heading")]
    sheet_headings = [f"{number}.{title}绩效目标表" for number, (_, title) in enumerate(SEED_SHEETS, start=1)]
    assert headings == [
        "部门整体绩效目标",
        "一、总体绩效目标",
        "二、分项绩效目标",
        "三、工作保障措施",
        "预算项目绩效目标",
        *sheet_headings,
    ]


def test_two_tables_per_sheet_with_the_seed_layout(exported: Document) -> None:
    assert len(exported.tables) == 18
    header = exported.tables[0]
    rows = header._tbl.tr_lst
    assert len(header.columns) == 7
    assert header.style.name == "Table Grid"
    assert [_gridspans(row.tc_lst) for row in rows] == [
        [1, 6],  # unit line | 单位：万元
        [1, 2, 1, 3],  # 项目编码 | code | 项目名称 | name
        [1, 1, 1, 1, 1, 1, 1],  # amounts
        [1, 6],  # purpose
        [1, 2, 1, 2, 1],  # checkpoints, merged like the seed
        [1, 2, 1, 2, 1],  # percents
        [1, 6],  # 绩效目标
    ]
    first_column = [row.tc_lst[0].vMerge for row in rows]
    assert first_column == [None, None, "restart", "continue", "restart", "continue", None]


def test_header_values_are_formatted_like_the_seed(exported: Document) -> None:
    texts = [[cell.text for cell in row.cells] for row in exported.tables[0].rows]
    assert texts[0][:2] == ["483001乐亭县行政审批局本级", "单位：万元"]
    assert texts[2] == ["预算规模及资金用途", "预算数", "8.00", "其中：财政资金", "8.00", "其他资金", ""]
    assert texts[5][1:] == ["25%", "25%", "50%", "75%", "75%", "100%"]


def test_labels_are_bold(exported: Document) -> None:
    label = exported.tables[0].cell(1, 0).paragraphs[0].runs[0]
    value = exported.tables[0].cell(1, 1).paragraphs[0].runs[0]
    indicator_header = exported.tables[1].cell(0, 4).paragraphs[0].runs[0]
    assert (label.text, label.bold) == ("项目编码", True)
    assert not value.bold
    assert (indicator_header.text, indicator_header.bold) == ("指标值", True)


def test_indicator_categories_are_vertically_merged(exported: Document) -> None:
    rows = exported.tables[1]._tbl.tr_lst
    first_column = [(row.tc_lst[0].vMerge, row.tc_lst[0].xpath("string(.)")) for row in rows]
    assert first_column == [
        (None, "一级指标"),
        ("restart", "产出指标"),
        ("continue", ""),
        ("continue", ""),
        ("continue", ""),
        (None, "效益指标"),
        (None, "满意度指标"),
    ]
    assert len(rows[2].tc_lst[0].xpath("./w:tcPr/w:vMerge")) == 1


def test_subcategories_merge_only_within_their_category() -> None:
    document = _write_sheet(make_sheet())
    rows = document.tables[1]._tbl.tr_lst
    assert [row.tc_lst[1].vMerge for row in rows] == [None, "restart", "continue", None]
    assert [row.tc_lst[1].xpath("string(.)") for row in rows] == ["二级指标", "数量指标", "", "数量指标"]


def test_other_funds_are_written_when_not_zero() -> None:
    texts = [cell.text for cell in _write_sheet(make_sheet()).tables[0].rows[2].cells]
    assert texts[1:] == ["预算数", "120.00", "其中：财政资金", "100.00", "其他资金", "20.00"]


def test_write_sheet_has_exactly_two_tables_and_its_heading() -> None:
    document = _write_sheet(make_sheet(number=3, title="单独项目"))
    assert len(document.tables) == 2
    assert [p.text for p in document.paragraphs if p.text] == ["3.单独项目绩效目标表"]


def test_write_sheet_with_goals(seed: DocumentData) -> None:
    buffer = io.BytesIO()
    write_sheet(seed.sheets[0], buffer, goals=seed.goals)
    document = open_docx(buffer.getvalue())
    assert len(document.tables) == 2
    assert document.paragraphs[0].text == "部门整体绩效目标"


def test_empty_goals_are_left_out(seed: DocumentData) -> None:
    buffer = io.BytesIO()
    write_document(DocumentData("483001", "乐亭县行政审批局本级", DepartmentGoalsData(), seed.sheets[:1]), buffer)
    texts = [p.text for p in open_docx(buffer.getvalue()).paragraphs if p.text]
    assert texts == ["预算项目绩效目标", "1.“双盲评审”系统升级改造费绩效目标表"]


def test_page_and_fonts(exported: Document) -> None:
    section = exported.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    fonts = exported.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    assert fonts.get(qn("w:ascii")) == "SimSun"
    heading_fonts = exported.styles["Heading 1"].element.rPr.rFonts
    assert heading_fonts.get(qn("w:asciiTheme")) is None


def test_writes_to_a_path(tmp_path: Path, seed: DocumentData) -> None:
    path = tmp_path / "导出.docx"
    write_document(seed, path)
    assert len(docx.Document(str(path)).tables) == 18


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("25"), "25%"),
        (Decimal("25.00"), "25%"),
        (Decimal("12.5"), "12.5%"),
        (Decimal("100"), "100%"),
        (Decimal("1E+2"), "100%"),
    ],
)
def test_format_percent(value: Decimal, text: str) -> None:
    assert format_percent(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(Decimal("8"), "8.00"), (Decimal("51.25"), "51.25"), (Decimal("0.005"), "0.01")]
)
def test_format_amount(value: Decimal, text: str) -> None:
    assert format_amount(value) == text


def _office() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(_office() is None, reason="LibreOffice is not installed")
def test_libreoffice_converts_the_export_to_pdf(tmp_path: Path, export: bytes) -> None:
    source = tmp_path / "export.docx"
    source.write_bytes(export)
    command = [str(_office()), "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)]
    subprocess.run(command, check=True, timeout=180, capture_output=True, env={**os.environ, "HOME": str(tmp_path)})
    pdf = tmp_path / "export.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


def _write_sheet(sheet: SheetData) -> Document:
    buffer = io.BytesIO()
    write_sheet(sheet, buffer)
    return open_docx(buffer.getvalue())
