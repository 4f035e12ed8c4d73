"""Read a budget performance target package (预算绩效目标, .docx) into plain data.

The reader knows nothing about Django. It finds the department goals by their
section labels and every project by its two tables (a header table holding
“项目编码” and an indicator table whose first row holds “一级指标” and
“指标值”), so one table holding both parts (the official form), reordered rows, extra paragraphs and common label variants are
tolerated. Every problem with the input surfaces as ``DocxReadError`` with a
Chinese message naming the file and, where known, the table and the field.

Uploads are untrusted: the archive is checked for size and compression ratio
before anything is inflated, and python-docx only ever sees a re-packed copy
whose contents were read within those limits.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import BinaryIO, Union

import docx
from docx.document import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.table import CT_Row, CT_Tc
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from .data import (
    DepartmentGoalsData,
    DocumentData,
    DocxReadError,
    IndicatorData,
    PlanPointData,
    SheetData,
)

Source = Union[str, os.PathLike[str], bytes, bytearray, BinaryIO]

MEGABYTE = 1024 * 1024
MAX_FILE_BYTES = 20 * MEGABYTE
MAX_UNCOMPRESSED_BYTES = 50 * MEGABYTE
MAX_ZIP_ENTRIES = 2000
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_MIN_BYTES = MEGABYTE
READ_CHUNK_BYTES = 64 * 1024
MAX_AMOUNT_DIGITS = 15  # integer digits of an amount in 万元

MAIN_PART = "word/document.xml"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / .xls
ZIP_SIGNATURE = b"PK"

NOT_DOCX = "不是有效的 Word（.docx）文件"
DAMAGED = "文件不完整或已损坏"

# Label variants, written in normalized form (see ``normalize_label``).
PROJECT_CODE = ("项目编码", "项目代码")
PROJECT_NAME = ("项目名称",)
BUDGET = ("预算数", "资金总额", "项目总额", "预算总额")
FISCAL = ("财政资金", "财政拨款")
OTHER = ("其他资金", "其他")
PURPOSE = ("预算规模及资金用途", "资金用途")
PLAN = ("资金支出计划", "支出计划")
GOAL = ("绩效目标", "年度目标", "年度绩效目标")
AMOUNT_LABELS = BUDGET + FISCAL + OTHER

INDICATOR_COLUMNS = {
    "category": ("一级指标",),
    "subcategory": ("二级指标",),
    "name": ("三级指标", "指标名称"),
    "description": ("绩效指标描述", "指标描述"),
    "target_value": ("指标值", "目标值"),
    "basis": ("指标值确定依据", "确定依据", "指标值设定依据"),
}

GOAL_SECTIONS = {
    "总体绩效目标": "overall",
    "总体目标": "overall",
    "分项绩效目标": "itemized",
    "分项目标": "itemized",
    "工作保障措施": "safeguards",
    "保障措施": "safeguards",
}
PROJECTS_PART = "预算项目绩效目标"

# Word-to-text converters render bookmarks as “[bookmark: _GoBack]”; such text
# sometimes ends up back in a document (the seed has one in an indicator value).
_BOOKMARK_MARKER = re.compile(r"\[bookmark:[^\]]*\]")
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")
_LABEL_SUFFIX = re.compile(r"\((万元|%)\)$")
_ORDINAL_PREFIX = re.compile(r"^(第[一二三四五六七八九十]+部分|\(?[一二三四五六七八九十]+\)[、.]?|[一二三四五六七八九十]+[、.]|\d+[、.])")
_SHEET_HEADING = re.compile(r"^\s*(?:([0-9０-９]+)\s*[.．、]\s*)?(.+?)\s*绩效目标表\s*$")
_UNIT_LINE = re.compile(r"^([0-9０-９]+)\s*(\S.*)$")
_UNIT_PREFIX = re.compile(r"^单位(名称)?[:：]\s*")
_UNIT_SUFFIX = re.compile(r"\s*单位[:：]\s*万元\s*$")
_MONTH_DIGITS = re.compile(r"(\d{1,2})\s*月")
_MONTH_CHINESE = re.compile(r"(十[一二]?|[一二三四五六七八九])\s*月")
_CHINESE_MONTHS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12}

# What python-docx and zipfile raise for a damaged package.
_DAMAGED_PACKAGE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, etree.LxmlError)


def read_document(source: Source, *, filename: str = "") -> DocumentData:
    """Read a .docx package from a path, bytes or a binary file object."""
    filename = filename or _default_filename(source)
    data = _read_source(source, filename)
    document = _open_docx(_repack(data, filename), filename)
    try:
        return _parse(document, filename)
    except (IndexError, KeyError, ValueError, InvalidOperation, etree.LxmlError) as exc:
        raise DocxReadError("文件内容结构异常，无法识别", filename=filename) from exc


# ---------------------------------------------------------------- text helpers


def normalize_label(text: str) -> str:
    """Label text without whitespace (incl. U+3000, nbsp), full-width forms,
    the prefix 其中： and a unit suffix such as （万元）/（%）."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = text.removeprefix("其中:")
    return _LABEL_SUFFIX.sub("", text).rstrip(":")


_ORIGINAL_NOTE = re.compile(r"（年初：[^）]*）\s*$")  # the 年初 value an export writes beside an adjusted one


def parse_amount(text: str) -> Decimal:
    """“1，200.5万元” → Decimal("1200.50"); blank → Decimal("0.00"); “30.50（年初：25.00）” (a package exported after
    目标调整) → the adjusted Decimal("30.50")."""
    cleaned = _INVISIBLE.sub("", unicodedata.normalize("NFKC", _ORIGINAL_NOTE.sub("", text))).replace(",", "")
    cleaned = cleaned.removesuffix("万元")
    if not cleaned:
        return Decimal("0.00")
    value = _decimal(cleaned)
    if value is None or value.adjusted() > MAX_AMOUNT_DIGITS:
        raise ValueError(f"金额“{text.strip()}”不是有效数字")
    if value < 0:
        raise ValueError(f"金额“{text.strip()}”不能为负数")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_percent(text: str) -> Decimal:
    """“25%” or “25％” → Decimal("25")."""
    cleaned = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).removesuffix("%")
    value = _decimal(cleaned)
    if value is None or value < 0:
        raise ValueError(f"支出比例“{text.strip()}”不是有效的百分数")
    return value


def parse_month(label: str) -> int:
    """“3月底” → 3, “十二月底” → 12, “年底” → 12."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", label))
    digits = _MONTH_DIGITS.search(text)
    chinese = _MONTH_CHINESE.search(text)
    if digits:
        month = int(digits.group(1))
    elif chinese:
        month = _CHINESE_MONTHS[chinese.group(1)]
    elif text in ("年底", "年末"):
        month = 12
    else:
        month = 0
    if not 1 <= month <= 12:
        raise ValueError(f"时间点“{label.strip()}”无法识别月份")
    return month


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
        return value if value.is_finite() else None
    except InvalidOperation:
        return None


def _strip_ordinal(text: str) -> str:
    return _ORDINAL_PREFIX.sub("", normalize_label(text))


# ---------------------------------------------------------------- the package


def _default_filename(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.path.basename(os.fspath(source))
    name = getattr(source, "name", "")
    return os.path.basename(name) if isinstance(name, str) else ""


def _read_source(source: Source, filename: str) -> bytes:
    try:
        if isinstance(source, (bytes, bytearray)):
            data = bytes(source)
        elif isinstance(source, (str, os.PathLike)):
            if os.path.getsize(source) > MAX_FILE_BYTES:
                raise _too_large(filename)
            with open(source, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        else:
            data = source.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DocxReadError("无法读取文件", filename=filename) from exc
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(filename)
    return data


def _too_large(filename: str) -> DocxReadError:
    return DocxReadError(f"文件超过大小上限（{MAX_FILE_BYTES // MEGABYTE} MB）", filename=filename)


def _repack(data: bytes, filename: str) -> bytes:
    """Check the archive, then copy its entries into a fresh stored zip, reading
    no more than the declared sizes, so python-docx never inflates anything."""
    _check_signature(data, filename)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            _check_entries(entries, filename)
            return _copy_entries(archive, entries)
    except DocxReadError:
        raise
    except (*_DAMAGED_PACKAGE_ERRORS, RuntimeError, NotImplementedError, ValueError) as exc:
        raise DocxReadError(DAMAGED, filename=filename) from exc


def _check_signature(data: bytes, filename: str) -> None:
    if not data:
        raise DocxReadError("文件为空", filename=filename)
    if data.startswith(OLE_SIGNATURE):
        raise DocxReadError("这是旧版 Word（.doc）文件，请在 Word 中另存为 .docx 后再上传", filename=filename)
    if not data.startswith(ZIP_SIGNATURE):
        raise DocxReadError(NOT_DOCX, filename=filename)


def _check_entries(entries: Sequence[zipfile.ZipInfo], filename: str) -> None:
    if len(entries) > MAX_ZIP_ENTRIES:
        raise DocxReadError(f"压缩包内文件过多（超过 {MAX_ZIP_ENTRIES} 个），可能是压缩炸弹", filename=filename)
    if sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED_BYTES:
        limit = MAX_UNCOMPRESSED_BYTES // MEGABYTE
        raise DocxReadError(f"解压后超过大小上限（{limit} MB），可能是压缩炸弹", filename=filename)
    for entry in entries:
        _check_entry(entry, filename)
    if MAIN_PART not in {entry.filename for entry in entries}:
        raise DocxReadError(f"{NOT_DOCX}（缺少正文 {MAIN_PART}）", filename=filename)


def _check_entry(entry: zipfile.ZipInfo, filename: str) -> None:
    ratio_limit = MAX_COMPRESSION_RATIO * max(entry.compress_size, 1)
    if entry.file_size > RATIO_CHECK_MIN_BYTES and entry.file_size > ratio_limit:
        raise DocxReadError(
            f"“{entry.filename}”的压缩比超过 {MAX_COMPRESSION_RATIO}:1，可能是压缩炸弹", filename=filename
        )
    if entry.flag_bits & 0x1:
        raise DocxReadError("文件已加密，请取消密码保护后再上传", filename=filename)
    if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise DocxReadError(NOT_DOCX, filename=filename)


def _copy_entries(archive: zipfile.ZipFile, entries: Iterable[zipfile.ZipInfo]) -> bytes:
    output = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as copy:
        for entry in entries:
            if entry.filename in seen or entry.is_dir():
                continue
            seen.add(entry.filename)
            copy.writestr(entry.filename, _read_entry(archive, entry))
    return output.getvalue()


def _read_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    """Inflate in small chunks; zipfile stops at the declared size."""
    chunks = []
    with archive.open(entry) as stream:
        while chunk := stream.read(READ_CHUNK_BYTES):
            chunks.append(chunk)
    return b"".join(chunks)


def _open_docx(data: bytes, filename: str) -> Document:
    try:
        return docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, ValueError) as exc:  # e.g. not a word-processing document
        raise DocxReadError(NOT_DOCX, filename=filename) from exc
    except _DAMAGED_PACKAGE_ERRORS as exc:
        raise DocxReadError(DAMAGED, filename=filename) from exc


# ---------------------------------------------------------------- the document


def _parse(document: Document, filename: str) -> DocumentData:
    blocks = list(document.iter_inner_content())
    sheets = _read_sheets(blocks, filename)
    first = sheets[0]
    return DocumentData(
        agency_code=first.agency_code,
        agency_name=first.agency_name,
        goals=_read_goals(blocks),
        sheets=sheets,
    )


def _read_goals(blocks: Iterable[Paragraph | Table]) -> DepartmentGoalsData:
    """Paragraphs under 一、总体绩效目标 / 二、分项绩效目标 / 三、工作保障措施,
    up to 预算项目绩效目标, the first project heading or the first table."""
    goals = DepartmentGoalsData()
    current: list[str] | None = None
    for block in blocks:
        if isinstance(block, Table):
            break
        text = _paragraph_text(block).strip()
        if not text:
            continue
        key = _strip_ordinal(text)
        if not key:  # a bare part heading such as 第二部分
            continue
        if key == PROJECTS_PART or _SHEET_HEADING.match(text):
            break
        if key in GOAL_SECTIONS:
            current = getattr(goals, GOAL_SECTIONS[key])
        elif current is not None:
            current.append(text)
    return goals


@dataclass
class _PendingHeader:
    table_no: int
    rows: list[list[_GridCell]]
    heading: str


def _read_sheets(blocks: Iterable[Paragraph | Table], filename: str) -> list[SheetData]:
    sheets: list[SheetData] = []
    heading = ""
    pending: _PendingHeader | None = None
    table_no = 0
    for block in blocks:
        if isinstance(block, Paragraph):
            heading = _paragraph_text(block).strip() or heading
            continue
        table_no += 1
        rows = _grid_rows(block)
        split = _indicator_header_row(rows)
        if split and _is_header_table(rows[:split]):
            # one table per sheet (the official form): the header part, then the indicator part
            if pending:
                raise _missing_indicators(pending, filename)
            header = _PendingHeader(table_no, rows[:split], heading)
            indicators = _IndicatorTable(rows[split:], table_no, filename).indicators()
            sheets.append(_read_sheet(header, indicators, len(sheets) + 1, filename))
        elif _is_header_table(rows):
            if pending:
                raise _missing_indicators(pending, filename)
            pending = _PendingHeader(table_no, rows, heading)
        elif _is_indicator_table(rows):
            if pending is None:
                raise DocxReadError("找不到“项目编码”，无法确定这张绩效指标表属于哪个项目", filename=filename, table=table_no)
            indicators = _IndicatorTable(rows, table_no, filename).indicators()
            sheets.append(_read_sheet(pending, indicators, len(sheets) + 1, filename))
            pending = None
        heading = ""
    if pending:
        raise _missing_indicators(pending, filename)
    if not sheets:
        raise DocxReadError("未找到任何项目绩效目标表（含“项目编码”的表格）", filename=filename)
    return sheets


def _missing_indicators(pending: _PendingHeader, filename: str) -> DocxReadError:
    return DocxReadError("缺少与项目表对应的绩效指标表", filename=filename, table=pending.table_no)


def _read_sheet(pending: _PendingHeader, indicators: list[IndicatorData], order: int, filename: str) -> SheetData:
    header = _HeaderTable(pending.rows, pending.table_no, filename)
    agency_code, agency_name = header.unit_line()
    project_name = header.required_text(PROJECT_NAME)
    number, title = _sheet_heading(pending.heading, order, project_name)
    return SheetData(
        number=number,
        title=title,
        agency_code=agency_code,
        agency_name=agency_name,
        project_code=header.required_text(PROJECT_CODE),
        project_name=project_name,
        budget_total=header.amount(BUDGET),
        fiscal_funds=header.amount(FISCAL),
        other_funds=header.amount(OTHER, required=False),
        purpose=header.purpose(),
        plan=header.plan(),
        goal=header.text(GOAL),
        indicators=indicators,
    )


def _sheet_heading(text: str, order: int, project_name: str) -> tuple[int, str]:
    match = _SHEET_HEADING.match(text)
    if not match:
        return order, project_name
    digits, title = match.groups()
    return (int(unicodedata.normalize("NFKC", digits)) if digits else order), title


# ---------------------------------------------------------------- tables


@dataclass(frozen=True)
class _GridCell:
    """One ``<w:tc>`` of a row: merged cells appear once, at their first grid column."""

    column: int
    span: int
    text: str
    continuation: bool  # second or later row of a vertical merge

    @property
    def label(self) -> str:
        return normalize_label(self.text)

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def _grid_rows(table: Table) -> list[list[_GridCell]]:
    return [_grid_row(tr, table) for tr in table._tbl.tr_lst]


def _grid_row(tr: CT_Row, table: Table) -> list[_GridCell]:
    cells = []
    column = tr.grid_before
    for tc in tr.tc_lst:
        continuation = tc.vMerge == "continue"
        text = "" if continuation else _tc_text(tc, table)
        cells.append(_GridCell(column, tc.grid_span, text, continuation))
        column += tc.grid_span
    return cells


def _tc_text(tc: CT_Tc, table: Table) -> str:
    return "\n".join(_paragraph_text(Paragraph(p, table)) for p in tc.p_lst)


def _paragraph_text(paragraph: Paragraph) -> str:
    return _BOOKMARK_MARKER.sub("", paragraph.text)


def _is_header_table(rows: list[list[_GridCell]]) -> bool:
    return any(cell.label in PROJECT_CODE for row in rows for cell in row)


def _is_indicator_table(rows: list[list[_GridCell]]) -> bool:
    return bool(rows) and _is_indicator_header(rows[0])


def _is_indicator_header(row: list[_GridCell]) -> bool:
    labels = {cell.label for cell in row}
    return "一级指标" in labels and "指标值" in labels


def _indicator_header_row(rows: list[list[_GridCell]]) -> int:
    """The index of the indicator part's header row inside a table, 0 when there is none after row 0."""
    for index, row in enumerate(rows[1:], start=1):
        if _is_indicator_header(row):
            return index
    return 0


class _HeaderTable:
    """Looks values up by their label cell: the value is the next cell in the row."""

    def __init__(self, rows: list[list[_GridCell]], table_no: int, filename: str):
        self.rows = rows
        self.table_no = table_no
        self.filename = filename

    def error(self, reason: str, field: str = "") -> DocxReadError:
        return DocxReadError(reason, filename=self.filename, table=self.table_no, field=field)

    def find(self, labels: Sequence[str]) -> tuple[int, int] | None:
        for row_index, row in enumerate(self.rows):
            for cell_index, cell in enumerate(row):
                if cell.label in labels:
                    return row_index, cell_index
        return None

    def locate(self, labels: Sequence[str]) -> tuple[int, int]:
        position = self.find(labels)
        if position is None:
            raise self.error(f"找不到“{labels[0]}”")
        return position

    def value(self, row_index: int, cell_index: int) -> str:
        row = self.rows[row_index]
        return row[cell_index + 1].text.strip() if cell_index + 1 < len(row) else ""

    def text(self, labels: Sequence[str]) -> str:
        return self.value(*self.locate(labels))

    def required_text(self, labels: Sequence[str]) -> str:
        row_index, cell_index = self.locate(labels)
        value = self.value(row_index, cell_index)
        if not value:
            raise self.error("不能为空", self.rows[row_index][cell_index].label)
        return value

    def amount(self, labels: Sequence[str], *, required: bool = True) -> Decimal:
        position = self.locate(labels) if required else self.find(labels)
        if position is None:
            return Decimal("0.00")
        try:
            return parse_amount(self.value(*position))
        except ValueError as exc:
            raise self.error(str(exc), self.rows[position[0]][position[1]].label) from exc

    def unit_line(self) -> tuple[str, str]:
        first = self.rows[0][0].text.strip() if self.rows and self.rows[0] else ""
        text = _UNIT_SUFFIX.sub("", _UNIT_PREFIX.sub("", first))
        match = _UNIT_LINE.match(text)
        if not match:
            raise self.error(f"单位行格式不正确（应为“单位编码+单位名称”，实际为“{first}”）", "单位")
        return unicodedata.normalize("NFKC", match.group(1)), match.group(2).strip()

    def block(self, labels: Sequence[str]) -> tuple[int, list[list[_GridCell]]]:
        """The label cell's grid column, and its row plus the rows below that the
        label spans (vertical merge continuation, or a blank label cell)."""
        row_index, cell_index = self.locate(labels)
        column = self.rows[row_index][cell_index].column
        rows = [self.rows[row_index]]
        for row in self.rows[row_index + 1 :]:
            label_cell = next((cell for cell in row if cell.column == column), None)
            if label_cell is None or not (label_cell.continuation or label_cell.blank):
                break
            rows.append(row)
        return column, rows

    def purpose(self) -> str:
        column, rows = self.block(PURPOSE)
        for row in rows:
            if not any(cell.label in AMOUNT_LABELS for cell in row):
                return "\n".join(_texts_right_of(row, column))
        return ""

    def plan(self) -> list[PlanPointData]:
        column, rows = self.block(PLAN)
        if len(rows) % 2:
            raise self.error("缺少支出比例行", "资金支出计划")
        points: list[PlanPointData] = []
        for labels_row, percents_row in zip(rows[::2], rows[1::2]):
            labels, percents = _texts_right_of(labels_row, column), _texts_right_of(percents_row, column)
            if len(labels) != len(percents):
                raise self.error("时间点与支出比例的数量不一致", "资金支出计划")
            points.extend(self.plan_point(label, percent) for label, percent in zip(labels, percents))
        return points

    def plan_point(self, label: str, percent: str) -> PlanPointData:
        try:
            return PlanPointData(label=label, month=parse_month(label), percent=parse_percent(percent))
        except ValueError as exc:
            raise self.error(str(exc), "资金支出计划") from exc


def _texts_right_of(row: list[_GridCell], column: int) -> list[str]:
    return [cell.text.strip() for cell in row if cell.column > column and not cell.blank]


class _IndicatorTable:
    """Rows below the header row; blank 一级/二级 cells mean “same as above”."""

    def __init__(self, rows: list[list[_GridCell]], table_no: int, filename: str):
        self.rows = rows
        self.table_no = table_no
        self.filename = filename

    def columns(self) -> dict[str, int]:
        columns = {}
        for cell in self.rows[0]:
            for field, labels in INDICATOR_COLUMNS.items():
                if cell.label in labels:
                    columns.setdefault(field, cell.column)
        if "name" not in columns:
            raise DocxReadError("找不到“三级指标”", filename=self.filename, table=self.table_no)
        return columns

    def indicators(self) -> list[IndicatorData]:
        columns = self.columns()
        indicators: list[IndicatorData] = []
        for row in self.rows[1:]:
            values = {field: _text_at(row, columns[field]) if field in columns else "" for field in INDICATOR_COLUMNS}
            if not any(values.values()):
                continue
            if "target_value" in values:  # a package exported after 目标调整: the adjusted value, not its 年初 beside it
                values["target_value"] = _ORIGINAL_NOTE.sub("", values["target_value"])
            if indicators and not values["category"]:
                values["category"] = indicators[-1].category
                values["subcategory"] = values["subcategory"] or indicators[-1].subcategory
            indicators.append(IndicatorData(**values))
        return indicators


def _text_at(row: list[_GridCell], column: int) -> str:
    for cell in row:
        if cell.column <= column < cell.column + cell.span:
            return cell.text.strip()
    return ""
