"""Reading budget performance target packages (.docx) into plain data."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path

import docx
import pytest

from projects.docx import reader
from projects.docx.data import DocumentData, DocxReadError, PlanPointData
from projects.docx.reader import read_document
from tests.projects.docx_helpers import (
    FIXTURE,
    HEADER_ROWS,
    INDICATOR_ROWS,
    SEED_SHEETS,
    SEED_TEXT,
    assert_read_error,
    build_docx,
    replace_cell,
    seed_indicator_rows,
)

MB = 1024 * 1024


@pytest.fixture(scope="module")
def seed() -> DocumentData:
    return read_document(FIXTURE)


# ---------------------------------------------------------------- the seed document


def test_agency_comes_from_the_unit_line(seed: DocumentData) -> None:
    assert (seed.agency_code, seed.agency_name) == ("483001", "乐亭县行政审批局本级")
    assert {(s.agency_code, s.agency_name) for s in seed.sheets} == {("483001", "乐亭县行政审批局本级")}


def test_all_nine_sheets_in_document_order(seed: DocumentData) -> None:
    assert [(s.number, s.project_code, s.title) for s in seed.sheets] == [
        (number, code, title) for number, (code, title) in enumerate(SEED_SHEETS, start=1)
    ]


def test_first_sheet_header(seed: DocumentData) -> None:
    sheet = seed.sheets[0]
    assert sheet.project_name == "“双盲评审”系统升级改造费"
    assert (sheet.budget_total, sheet.fiscal_funds, sheet.other_funds) == (
        Decimal("8.00"),
        Decimal("8.00"),
        Decimal("0.00"),
    )
    assert str(sheet.budget_total) == "8.00"
    assert sheet.purpose == "用于评审系统升级改造"
    assert sheet.goal == "1.满足“双盲评审”、“分散评标”、“远程异地评标\"对系统的要求"
    assert sheet.plan == [
        PlanPointData("3月底", 3, Decimal("25")),
        PlanPointData("6月底", 6, Decimal("50")),
        PlanPointData("10月底", 10, Decimal("75")),
        PlanPointData("12月底", 12, Decimal("100")),
    ]


def test_first_sheet_indicators_fill_merged_categories(seed: DocumentData) -> None:
    indicators = seed.sheets[0].indicators
    assert len(indicators) == 6
    assert [(i.category, i.subcategory) for i in indicators] == [
        ("产出指标", "数量指标"),
        ("产出指标", "质量指标"),
        ("产出指标", "时效指标"),
        ("产出指标", "成本指标"),
        ("效益指标", "社会效益指标"),
        ("满意度指标", "服务对象满意度指标"),
    ]
    second = indicators[1]
    assert (second.name, second.description, second.target_value, second.basis) == (
        "系统正常运行率",
        "系统正常运行率",
        "≥98%",
        "系统正常运行率",
    )


def test_values_are_kept_as_written(seed: DocumentData) -> None:
    assert seed.sheets[6].indicators[3].target_value == "≤75.5%"
    assert seed.sheets[8].budget_total == Decimal("120.00")
    land = seed.sheets[3].indicators[1]  # the seed has a leading space in two cells
    assert land.description == "土地招拍挂公证及发布公告完成率"
    assert land.basis == "土地招拍挂公证及发布公告完成率"


@pytest.mark.skipif(not SEED_TEXT.exists(), reason="the seed's text dump is not available")
def test_every_indicator_row_of_the_seed_text(seed: DocumentData) -> None:
    expected = seed_indicator_rows()
    assert len(expected) == 54
    read = [
        [i.category, i.subcategory, i.name, i.description, i.target_value, i.basis]
        for sheet in seed.sheets
        for i in sheet.indicators
    ]
    assert read == expected


def test_department_goals(seed: DocumentData) -> None:
    goals = seed.goals
    assert len(goals.overall) == 11
    assert goals.overall[0].startswith("（一）持续推进企业开办提质增效")
    assert goals.overall[-1].startswith("（十一）切实解决群众诉求")
    assert goals.itemized[0] == "1、公共资源专项费用"
    assert goals.itemized[-1] == "目标：保证“双盲评审”工作的正常开展。"
    assert goals.safeguards[0] == "（一）、推行特色审批服务，做好企业群众“办事员”。"
    assert goals.safeguards[-1].startswith("4、强化业务学习")
    every = goals.overall + goals.itemized + goals.safeguards
    assert all(text and text == text.strip() for text in every)
    assert not any("绩效目标表" in text or "预算项目绩效目标" in text for text in every)


@pytest.mark.parametrize("kind", ["path", "str", "bytes", "file"])
def test_sources(kind: str) -> None:
    data = FIXTURE.read_bytes()
    source = {"path": FIXTURE, "str": str(FIXTURE), "bytes": data, "file": io.BytesIO(data)}[kind]
    assert [s.project_code for s in read_document(source).sheets] == [code for code, _ in SEED_SHEETS]


# ---------------------------------------------------------------- variants


def test_label_variants_full_width_text_and_a_separate_purpose_row() -> None:
    header = [
        ["４８３００１　乐亭县行政审批局本级", "单位：万元"],
        ["项 目 编 码", "P-001", "项目名称", "变体项目"],
        ["预算规模", "资金总额", "１，２００.５０万元", "其中：财政　拨款", "1,000.5", "其他", "200"],
        ["资金用途", "用于测试"],
        ["资金支出计划（％）", "3月底", "6月底", "十月底", "年底"],
        ["", "２５％", "50 %", "75%", "100%"],
        ["年度目标", "完成测试"],
    ]
    document = read_document(build_docx(header, heading="变体项目绩效目标表"))
    sheet = document.sheets[0]
    assert (document.agency_code, document.agency_name) == ("483001", "乐亭县行政审批局本级")
    assert (sheet.number, sheet.title, sheet.project_code) == (1, "变体项目", "P-001")
    assert (sheet.budget_total, sheet.fiscal_funds, sheet.other_funds) == (
        Decimal("1200.50"),
        Decimal("1000.50"),
        Decimal("200.00"),
    )
    assert (sheet.purpose, sheet.goal) == ("用于测试", "完成测试")
    assert [(p.month, p.percent) for p in sheet.plan] == [
        (3, Decimal("25")),
        (6, Decimal("50")),
        (10, Decimal("75")),
        (12, Decimal("100")),
    ]


def test_plain_table_without_merges_and_without_heading() -> None:
    document = read_document(build_docx(heading=""))
    sheet = document.sheets[0]
    assert (sheet.number, sheet.title) == (1, "测试项目")
    assert sheet.other_funds == Decimal("0.00")
    assert [(i.category, i.subcategory) for i in sheet.indicators] == [
        ("产出指标", "数量指标"),
        ("产出指标", "质量指标"),
        ("满意度指标", "服务对象满意度指标"),
    ]
    assert document.goals.is_empty()


def test_blank_rows_in_the_indicator_table_are_skipped() -> None:
    rows = INDICATOR_ROWS[:2] + [["", "", "", "", "", ""]] + INDICATOR_ROWS[2:]
    assert len(read_document(build_docx(indicators=rows)).sheets[0].indicators) == 3


# ---------------------------------------------------------------- bad input


def _read_error(data: bytes, filename: str = "上报.docx") -> DocxReadError:
    with pytest.raises(DocxReadError) as caught:
        read_document(data, filename=filename)
    return caught.value


def test_a_text_file_renamed_to_docx(tmp_path: Path) -> None:
    path = tmp_path / "目标表.docx"
    path.write_text("这不是 Word 文件", encoding="utf-8")
    with pytest.raises(DocxReadError) as caught:
        read_document(path)
    assert_read_error(caught.value, "目标表.docx", "不是有效的 Word（.docx）文件")


def test_an_empty_file() -> None:
    assert_read_error(_read_error(b""), "上报.docx", "文件为空")


def test_a_legacy_doc_file() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)
    assert_read_error(_read_error(data), "上报.docx", ".doc", "另存为 .docx")


def test_a_truncated_docx() -> None:
    data = FIXTURE.read_bytes()
    assert_read_error(_read_error(data[: len(data) // 2]), "上报.docx", "文件不完整或已损坏")


def test_a_zip_without_the_document_part() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert_read_error(_read_error(buffer.getvalue()), "上报.docx", "不是有效的 Word（.docx）文件", "word/document.xml")


def test_a_docx_with_broken_xml() -> None:
    data = _rewrite_fixture({"word/document.xml": b"<w:document><w:body>"})
    assert_read_error(_read_error(data), "上报.docx", "文件不完整或已损坏")


def test_an_oversized_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1000)
    assert_read_error(_read_error(FIXTURE.read_bytes()), "上报.docx", "大小上限")


def test_too_many_zip_entries() -> None:
    extra = {f"word/media/{index}.txt": b"x" for index in range(reader.MAX_ZIP_ENTRIES)}
    assert_read_error(_read_error(_rewrite_fixture(extra)), "上报.docx", "文件过多")


def _rewrite_fixture(replacements: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(FIXTURE) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            if entry.filename not in replacements:
                target.writestr(entry.filename, source.read(entry))
        for name, content in replacements.items():
            target.writestr(name, content)
    return buffer.getvalue()


def _bomb(member: str, size: int, *, level: int = 1, prefix: bytes = b"") -> bytes:
    """The fixture plus ``member``: ``prefix`` then zeros/spaces up to ``size`` bytes,
    deflated while streaming so the test never holds the inflated data."""
    buffer = io.BytesIO()
    chunk = b" " * MB
    target = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level)
    with zipfile.ZipFile(FIXTURE) as source, target:
        for entry in source.infolist():
            if entry.filename != member:
                target.writestr(entry.filename, source.read(entry))
        with target.open(member, "w") as stream:
            stream.write(prefix)
            for _ in range((size - len(prefix)) // MB):
                stream.write(chunk)
    return buffer.getvalue()


def _read_within_limits(data: bytes) -> tuple[DocumentData | DocxReadError, int]:
    """The reader's answer and its peak memory: a bomb is refused without inflating it."""
    tracemalloc.start()
    try:
        result: DocumentData | DocxReadError = read_document(data, filename="炸弹.docx")
    except DocxReadError as error:
        result = error
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, peak


def test_a_zip_bomb_is_refused_without_inflating() -> None:
    result, peak = _read_within_limits(_bomb("word/media/bomb.bin", 200 * MB))
    assert isinstance(result, DocxReadError)
    assert_read_error(result, "炸弹.docx", "解压后超过大小上限（50 MB）", "压缩炸弹")
    assert peak < 20 * MB


def test_an_absurd_compression_ratio_is_refused() -> None:
    result, peak = _read_within_limits(_bomb("word/media/small-bomb.bin", 8 * MB, level=9))
    assert isinstance(result, DocxReadError)
    assert_read_error(result, "炸弹.docx", "压缩比", "压缩炸弹")
    assert peak < 20 * MB


def test_a_lying_declared_size_never_inflates_beyond_it() -> None:
    """word/document.xml declares only its real size (and the CRC of it) but its
    deflate stream goes on for 200 MB: nothing past the declared size is inflated."""
    with zipfile.ZipFile(FIXTURE) as source:
        document_xml = source.read("word/document.xml")
    data = _bomb("word/document.xml", 200 * MB, prefix=document_xml)
    data = _patch_central_directory(data, "word/document.xml", len(document_xml), zlib.crc32(document_xml))
    result, peak = _read_within_limits(data)
    assert isinstance(result, DocumentData), result
    assert len(result.sheets) == 9
    assert peak < 50 * MB


def _patch_central_directory(data: bytes, name: str, size: int, crc: int) -> bytes:
    patched = bytearray(data)
    position = patched.find(b"PK\x01\x02")
    while position >= 0:
        name_length = struct.unpack_from("<H", patched, position + 28)[0]
        if patched[position + 46 : position + 46 + name_length] == name.encode():
            struct.pack_into("<I", patched, position + 16, crc)
            struct.pack_into("<I", patched, position + 24, size)
            return bytes(patched)
        position = patched.find(b"PK\x01\x02", position + 4)
    raise AssertionError(f"{name} not in central directory")


def test_missing_project_code_value() -> None:
    header = replace_cell(HEADER_ROWS, "13022524P004RE210041X", "")
    error = _read_error(build_docx(header))
    assert (error.table, error.field) == (1, "项目编码")
    assert_read_error(error, "上报.docx", "第1个表格", "项目编码", "不能为空")


def test_invalid_amount() -> None:
    header = copy_with(HEADER_ROWS, row=2, column=2, text="abc")
    error = _read_error(build_docx(header))
    assert (error.table, error.field) == (1, "预算数")
    assert_read_error(error, "上报.docx", "第1个表格", "预算数", "金额“abc”不是有效数字")


def test_invalid_percent() -> None:
    header = copy_with(HEADER_ROWS, row=5, column=2, text="一半")
    error = _read_error(build_docx(header))
    assert_read_error(error, "上报.docx", "第1个表格", "资金支出计划", "“一半”")


def test_header_table_without_indicator_table() -> None:
    error = _read_error(build_docx(indicators=None))
    assert error.table == 1
    assert_read_error(error, "上报.docx", "第1个表格", "缺少与项目表对应的绩效指标表")


def test_indicator_table_without_header_table() -> None:
    error = _read_error(build_docx(header=None))
    assert error.table == 1
    assert_read_error(error, "上报.docx", "找不到“项目编码”")


def test_a_header_table_without_a_required_label() -> None:
    header = replace_cell(HEADER_ROWS, "预算数", "预算")
    assert_read_error(_read_error(build_docx(header)), "上报.docx", "第1个表格", "找不到“预算数”")


def test_a_bad_unit_line() -> None:
    header = replace_cell(HEADER_ROWS, "483001乐亭县行政审批局本级", "乐亭县行政审批局本级")
    assert_read_error(_read_error(build_docx(header)), "上报.docx", "第1个表格", "单位行格式不正确")


def test_a_document_without_project_tables() -> None:
    error = _read_error(build_docx(header=None, indicators=None))
    assert_read_error(error, "上报.docx", "未找到任何项目绩效目标表")


def test_the_second_sheet_reports_its_own_table_number() -> None:
    data = build_docx()
    second = build_docx(copy_with(HEADER_ROWS, row=2, column=4, text="八"))
    error = _read_error(_concatenate(data, second))
    assert (error.table, error.field) == (3, "财政资金")


def _concatenate(first: bytes, second: bytes) -> bytes:
    """The body of ``second`` appended to ``first``."""
    document = docx.Document(io.BytesIO(first))
    body = document.element.body
    for element in list(docx.Document(io.BytesIO(second)).element.body):
        if not element.tag.endswith("sectPr"):
            body.insert(len(body) - 1, element)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def copy_with(rows: list[list[str]], *, row: int, column: int, text: str) -> list[list[str]]:
    result = [list(r) for r in rows]
    result[row][column] = text
    return result


def test_an_indicator_table_error_names_that_table() -> None:
    indicators = replace_cell(INDICATOR_ROWS, "三级指标", "指标")
    error = _read_error(build_docx(indicators=indicators))
    assert error.table == 2
    assert_read_error(error, "上报.docx", "第2个表格", "找不到“三级指标”")


def test_unrelated_tables_are_skipped_but_counted() -> None:
    note = build_docx(header=[["附注", "无"]], indicators=None, heading="说明")
    assert [s.project_code for s in read_document(_concatenate(note, build_docx())).sheets] == ["13022524P004RE210041X"]
    error = _read_error(_concatenate(note, build_docx(copy_with(HEADER_ROWS, row=2, column=2, text="x"))))
    assert (error.table, error.field) == (2, "预算数")
