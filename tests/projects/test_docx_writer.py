"""Writing budget performance target packages (.docx) from plain data."""

from __future__ import annotations

import dataclasses
import datetime
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
        "第一部分",
        "部门整体绩效目标",
        "一、总体绩效目标",
        "二、分项绩效目标",
        "三、工作保障措施",
        "第二部分",
        "预算项目绩效目标",
        *sheet_headings,
    ]


def _texts(row) -> list[str]:
    return [tc.xpath("string(.)") for tc in row.tc_lst]


def test_one_table_per_sheet_with_the_form_layout(exported: Document) -> None:
    assert len(exported.tables) == 9
    table = exported.tables[0]
    rows = table._tbl.tr_lst
    assert table.style.name == "Table Grid"
    grid = len(table._tbl.tblGrid.gridCol_lst)
    assert all(sum(tc.grid_span for tc in row.tc_lst) == grid for row in rows)  # every row spans the whole width
    assert [_texts(row) for row in rows[:7]] == [
        ["483001乐亭县行政审批局本级", "单位：万元"],
        ["项目编码", "13022524P004RE210041X", "项目名称", "“双盲评审”系统升级改造费"],
        ["预算规模及资金用途", "预算数", "8.00", "其中：财政资金", "8.00", "其他资金", ""],
        ["", "用于评审系统升级改造"],
        ["资金支出计划（%）", "3月底", "6月底", "10月底", "12月底"],
        ["", "25%", "50%", "75%", "100%"],
        ["绩效目标", "1.满足“双盲评审”、“分散评标”、“远程异地评标\"对系统的要求"],
    ]
    assert _texts(rows[7]) == ["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据"]
    first_column = [row.tc_lst[0].vMerge for row in rows[:7]]
    assert first_column == [None, None, "restart", "continue", "restart", "continue", None]


def test_rows_never_split_and_keep_with_the_next_but_the_last(exported: Document) -> None:
    for table in exported.tables:
        rows = table._tbl.tr_lst
        assert all(row.xpath("./w:trPr/w:cantSplit") for row in rows)
        keeps = [bool(row.xpath(".//w:pPr/w:keepNext")) for row in rows]
        assert keeps == [True] * (len(rows) - 1) + [False]


def test_titles_keep_with_their_table(exported: Document) -> None:
    body = exported.element.body
    for tbl in body.findall(qn("w:tbl")):
        title = tbl.getprevious()
        assert title.xpath("string(.)").endswith("绩效目标表")
        assert title.style == "Heading3" and exported.styles["Heading 3"].paragraph_format.keep_with_next


def _alignment(tc) -> str:
    return tc.xpath("string(./w:p/w:pPr/w:jc/@w:val)")


def test_text_left_numbers_right(exported: Document) -> None:
    rows = exported.tables[6]._tbl.tr_lst  # 审批中心办公楼运维及保安保洁服务费
    amounts = rows[2].tc_lst
    assert [_alignment(tc) for tc in amounts] == ["left", "left", "right", "left", "right", "left", "right"]
    assert _alignment(rows[5].tc_lst[1]) == "right"  # a percent
    assert _alignment(rows[6].tc_lst[1]) == "left"  # the goal
    values = {tc.xpath("string(.)"): _alignment(tc) for row in rows[8:] for tc in row.tc_lst[-2:-1]}
    assert values["≤75.5%"] == "right"
    assert "left" in {a for v, a in values.items() if not v[:1].isdigit() and v[:1] not in "≥≤"} | {"left"}
    names = [_alignment(row.tc_lst[2]) for row in rows[8:]]
    assert set(names) == {"left"}


def test_labels_are_bold(exported: Document) -> None:
    rows = exported.tables[0]._tbl.tr_lst
    bold = lambda tc: bool(tc.xpath("./w:p/w:r/w:rPr/w:b"))  # noqa: E731
    assert (rows[1].tc_lst[0].xpath("string(.)"), bold(rows[1].tc_lst[0])) == ("项目编码", True)
    assert not bold(rows[1].tc_lst[1])
    assert (rows[7].tc_lst[4].xpath("string(.)"), bold(rows[7].tc_lst[4])) == ("指标值", True)


def test_indicator_categories_are_vertically_merged(exported: Document) -> None:
    rows = exported.tables[0]._tbl.tr_lst[7:]
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
    rows = document.tables[0]._tbl.tr_lst[7:]
    assert [row.tc_lst[1].vMerge for row in rows] == [None, "restart", "continue", None]
    assert [row.tc_lst[1].xpath("string(.)") for row in rows] == ["二级指标", "数量指标", "", "数量指标"]


def test_other_funds_are_written_when_not_zero() -> None:
    texts = _texts(_write_sheet(make_sheet()).tables[0]._tbl.tr_lst[2])
    assert texts[1:] == ["预算数", "120.00", "其中：财政资金", "100.00", "其他资金", "20.00"]


def test_write_sheet_has_exactly_one_table_and_its_heading() -> None:
    document = _write_sheet(make_sheet(number=3, title="单独项目"))
    assert len(document.tables) == 1
    assert [p.text for p in document.paragraphs if p.text] == ["3.单独项目绩效目标表"]
    assert document.sections[0].header.paragraphs[0].text == ""


def test_a_draft_carries_the_mark_above_its_title_and_in_the_page_header() -> None:
    document = _write_sheet(make_sheet(number=3, title="单独项目", published=False, state_label="科室审核"))
    assert [p.text for p in document.paragraphs if p.text] == ["草稿 — 未审定（科室审核）", "3.单独项目绩效目标表"]
    assert document.sections[0].header.paragraphs[0].text == "草稿 — 未审定"


def test_a_package_marks_only_its_unpublished_sheets(seed: DocumentData) -> None:
    sheets = [dataclasses.replace(sheet, published=index % 2 == 0, state_label="" if index % 2 == 0 else "财政审核") for index, sheet in enumerate(seed.sheets)]
    buffer = io.BytesIO()
    write_document(dataclasses.replace(seed, sheets=sheets, year=2024), buffer)
    document = open_docx(buffer.getvalue())
    texts = [p.text for p in document.paragraphs if p.text]
    marks = [texts[index + 1] for index, text in enumerate(texts) if text.startswith("草稿")]
    assert marks == [f"{n}.{title}绩效目标表" for n, (_, title) in enumerate(SEED_SHEETS, start=1) if n % 2 == 0]
    assert document.sections[0].header.paragraphs[0].text == ""  # published sheets are in it: no page header
    assert read_document(buffer.getvalue()).sheets == seed.sheets  # the marks are not read back as content


def test_document_properties_name_the_agency_year_and_product(seed: DocumentData) -> None:
    buffer = io.BytesIO()
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    write_document(dataclasses.replace(seed, year=2024), buffer)
    properties = open_docx(buffer.getvalue()).core_properties
    assert properties.title == "483001乐亭县行政审批局本级2024年预算绩效目标"
    assert properties.subject == "乐亭县行政审批局本级 2024年"
    assert properties.author == properties.last_modified_by == "targetflow"
    assert properties.created.replace(tzinfo=datetime.timezone.utc) >= before - datetime.timedelta(seconds=1)
    assert "python-docx" not in (properties.comments or "")


def test_write_sheet_with_goals(seed: DocumentData) -> None:
    buffer = io.BytesIO()
    write_sheet(seed.sheets[0], buffer, goals=seed.goals)
    document = open_docx(buffer.getvalue())
    assert len(document.tables) == 1
    assert [p.text for p in document.paragraphs[:2]] == ["第一部分", "部门整体绩效目标"]


def test_empty_goals_are_left_out(seed: DocumentData) -> None:
    buffer = io.BytesIO()
    write_document(DocumentData("483001", "乐亭县行政审批局本级", DepartmentGoalsData(), seed.sheets[:1]), buffer)
    texts = [p.text for p in open_docx(buffer.getvalue()).paragraphs if p.text]
    after_the_title_page = texts[texts.index("第二部分"):]
    assert after_the_title_page == ["第二部分", "预算项目绩效目标", "1.“双盲评审”系统升级改造费绩效目标表"]
    assert "第一部分" not in texts and "部门整体绩效目标" not in texts


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
    assert len(docx.Document(str(path)).tables) == 9


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
