"""Excel summaries for finance, written by XlsxWriter in constant-memory mode: each row goes to a temporary file as it
is written and the workbook is zipped to ``target`` at the end, so memory stays flat whatever the number of sheets.

项目汇总: one row per sheet (unit, project, section, state, amounts in 万元, the spending plan per checkpoint,
the checker's verdict, submitted/approved/published dates) and a 合计 row under them; 指标明细: one row per
indicator. A sheet in force that an approved adjustment (目标调整) changed shows its 年初 values beside today's
(年初预算数, 年初指标值), empty where they are equal or the sheet was never adjusted. Both have a frozen header row, an autofilter, number formats, dates as dates and column widths.

Excel holds 1,048,576 rows per worksheet. A table that does not fit goes on in a worksheet of the same name and a
number (指标明细, 指标明细2, 指标明细3…), split between two units, never inside one (a unit larger than a worksheet,
in the rows it has left), and the workbook opens on 目录, which says which units each worksheet holds. One workbook
rather than several files: finance filters and sums one file, and every unit's rows stay together.

Every text is written as a text cell (an inline string): a value that begins with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return, or reads like an error code (``#N/A``), is shown as written and never becomes a formula
(OWASP, CSV injection). Numbers and dates are written as numbers. The only formulas are the 合计 row's, written
with their values so that a viewer which does not recalculate still shows the totals.

The two tables' data rows are written as worksheet XML by ``RowXml`` (the cells XlsxWriter would write, byte for byte)
rather than through XlsxWriter's per-cell calls, and the workbook is zipped at level 1: the province (201,389 sheets,
1.6 M indicator rows) takes about 20 s of CPU instead of 133 s (``python -m benchmarks.xlsx_export measure --user admin``).
"""

from __future__ import annotations

import datetime
import functools
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.worksheet import Worksheet
from django.utils import timezone
from xlsxwriter.utility import _datetime_to_excel_datetime, xl_col_to_name

from projects.models import SheetState
from workflow.steps import CHAIN

SUMMARY_TITLE = "项目汇总"
INDICATORS_TITLE = "指标明细"
INDEX_TITLE = "目录"
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = '0.##"%"'
DATE_FORMAT = "yyyy-mm-dd"
TOTAL_LABEL = "合计"
ROW_LIMIT = 1_048_576  # rows of an Excel worksheet, its header included

_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
_HEADER = {"bold": True, "bg_color": "#DDE5F0", "bottom": 1, "bottom_color": "#999999", "align": "center", "valign": "vcenter", "text_wrap": True}
_WRAP = {"text_wrap": True, "valign": "top"}
# characters no workbook can hold (Word's vertical tab…); tab, line feed and carriage return stay
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    number_format: str | None = None
    wrap: bool = False


ORIGINAL_BUDGET = Column("年初预算数（万元）", 14, MONEY_FORMAT)  # an adjusted sheet's, where it differs; not summed
SUMMARY_COLUMNS = (
    Column("年度", 7),
    Column("单位编码", 10),
    Column("单位名称", 24, wrap=True),
    Column("序号", 6),
    Column("项目编码", 24),
    Column("项目名称", 34, wrap=True),
    Column("科室", 16, wrap=True),
    Column("状态", 11),
    Column("预算数（万元）", 14, MONEY_FORMAT),
    ORIGINAL_BUDGET,
    Column("其中：财政资金（万元）", 14, MONEY_FORMAT),
    Column("其他资金（万元）", 14, MONEY_FORMAT),
)
# then one column per checkpoint label (资金支出计划, %), then:
SUMMARY_TAIL = (
    Column("体检", 14),
    Column("错误数", 8),
    Column("提示数", 8),
    Column("提交日期", 12, DATE_FORMAT),
    Column(f"{CHAIN.label(SheetState.LEADER_REVIEW)}通过日期", 12, DATE_FORMAT),
    Column("公开日期", 12, DATE_FORMAT),
)
INDICATOR_COLUMNS = (
    Column("年度", 7),
    Column("单位编码", 10),
    Column("项目编码", 24),
    Column("项目名称", 30, wrap=True),
    Column("科室", 16, wrap=True),
    Column("状态", 11),
    Column("一级指标", 12),
    Column("二级指标", 18),
    Column("三级指标", 28, wrap=True),
    Column("绩效指标描述", 36, wrap=True),
    Column("指标值", 14),
    Column("年初指标值", 14),  # an adjusted sheet's, where it differs ("无": a row the adjustment added)
    Column("比较符", 7),
    Column("数值", 12, "#,##0.####"),
    Column("单位", 8),
    Column("指标值确定依据", 36, wrap=True),
)
INDEX_COLUMNS = (
    Column("工作表", 14),
    Column("内容", 30, wrap=True),
    Column("数据行数", 12, "#,##0"),
    Column("第一个单位", 30, wrap=True),
    Column("最后一个单位", 30, wrap=True),
)


def checkpoint_columns(labels: Sequence[str]) -> list[Column]:
    return [Column(f"{label}（%）", 9, PERCENT_FORMAT) for label in labels]


def write_summary(
    records: Iterable,
    target: BinaryIO | str,
    *,
    checkpoint_labels: Sequence[str],
    progress: Callable[[int], None] | None = None,
    every: int = 200,
    expected_rows: tuple[int, int] | None = None,
    row_limit: int = ROW_LIMIT,
    tmpdir: str | None = None,
    fast: bool = True,
) -> int:
    """Write the workbook of ``records`` (``exports.selectors.SheetRecord``, in the list's order) to ``target`` (a
    path or a binary file). Returns the number of sheets; ``progress(n)`` is called every ``every`` sheets and once
    the file is complete. ``expected_rows`` (sheets, indicators), when known, puts 目录 first if a table will not fit
    one worksheet; ``tmpdir`` holds the rows until the workbook is zipped. ``fast=False`` writes every cell through
    XlsxWriter's calls (``write_row``) instead of ``RowXml``: the same cells, for the tests to compare."""
    book = _Workbook(target, {**_OPTIONS, **({"tmpdir": tmpdir} if tmpdir else {})})
    formats = _Formats(book)
    index = None
    if expected_rows and (expected_rows[0] > row_limit - 2 or expected_rows[1] > row_limit - 1):
        index = book.add_worksheet(INDEX_TITLE)
    summary_columns = [*SUMMARY_COLUMNS, *checkpoint_columns(checkpoint_labels), *SUMMARY_TAIL]
    summary = _Table(book, formats, SUMMARY_TITLE, summary_columns, capacity=row_limit - 2, fast=fast)  # header and 合计
    details = _Table(book, formats, INDICATORS_TITLE, INDICATOR_COLUMNS, capacity=row_limit - 1, fast=fast)
    money_at = [summary_columns.index(c) for c in SUMMARY_COLUMNS if c.number_format == MONEY_FORMAT and c is not ORIGINAL_BUDGET]
    sums = {index: Decimal(0) for index in money_at}
    count, unit, summary_rows, detail_rows = 0, None, [], []
    for record in records:
        if (record.year, record.agency_code) != (unit and unit[:2]):
            summary.write_unit(unit, summary_rows)
            details.write_unit(unit, detail_rows)
            unit, summary_rows, detail_rows = (record.year, record.agency_code, record.agency_name), [], []
        values = _summary_values(record, checkpoint_labels)
        for at in money_at:
            sums[at] += values[at] or 0
        summary_rows.append(values)
        detail_rows.extend(_indicator_values(record, indicator) for indicator in record.indicators)
        count += 1
        if progress and count % every == 0:
            progress(count)
    summary.write_unit(unit, summary_rows)
    details.write_unit(unit, detail_rows)
    _totals(summary, formats, sums, count)
    summary.finish()
    details.finish()
    if len(summary.parts) > 1 or len(details.parts) > 1:
        if index is None:  # more rows than expected (sheets added meanwhile): 目录 last, and the workbook opens on it
            index = book.add_worksheet(INDEX_TITLE)
        _index(index, formats, summary, details, row_limit)
        index.activate()
    book.close()
    if progress:
        progress(count)
    return count


_ZIP_LOCK = threading.Lock()


class _Worksheet(Worksheet):
    """XlsxWriter's worksheet, whose rows (kept in a file in constant-memory mode) are copied into the worksheet's XML
    as bytes rather than decoded and encoded again: a province's 1.6 GB of rows."""

    def _write_optimized_sheet_data(self) -> None:
        if self.dim_rowmin is None or not hasattr(self.fh, "buffer"):
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.fh.flush()
        self.row_data_fh.flush()
        with open(self.row_data_filename, "rb") as rows:
            shutil.copyfileobj(rows, self.fh.buffer, 1 << 20)
        self.row_data_fh.close()
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")


class _Workbook(xlsxwriter.Workbook):
    """XlsxWriter's workbook, zipped at ``ZIP_LEVEL`` rather than zlib's default 6: a province's 1 GB of worksheet XML
    takes a third of the time to deflate for a file about a quarter larger."""

    ZIP_LEVEL = 1
    worksheet_class = _Worksheet

    def _store_workbook(self) -> None:
        with _ZIP_LOCK:  # the module's ZipFile, swapped while this workbook is stored
            plain = xlsxwriter.workbook.ZipFile
            xlsxwriter.workbook.ZipFile = functools.partial(plain, compresslevel=self.ZIP_LEVEL)
            try:
                super()._store_workbook()
            finally:
                xlsxwriter.workbook.ZipFile = plain


class _Formats:
    """The workbook's cell formats, each made once."""

    def __init__(self, book):
        self.book = book
        self.header = book.add_format(_HEADER)
        self.bold = book.add_format({"bold": True})
        self.total = book.add_format({"bold": True, "num_format": MONEY_FORMAT})
        self.plain = book.add_format()
        self._made: dict[tuple, object] = {}

    def of(self, column: Column):
        key = (column.number_format, column.wrap)
        if key == (None, False):
            return None
        if key not in self._made:
            self._made[key] = self.book.add_format({**(_WRAP if column.wrap else {}), **({"num_format": column.number_format} if column.number_format else {})})
        return self._made[key]


@dataclass
class _Part:
    worksheet: object
    title: str
    rows: int = 0  # data rows written
    first: tuple | None = None  # (year, agency code, agency name) of the first and last data row
    last: tuple | None = None


class _Table:
    """A table written to one worksheet, going on in ``title2``, ``title3``… when ``capacity`` data rows are full:
    a unit's rows start a new worksheet when they do not fit the current one."""

    def __init__(self, book, formats: _Formats, title: str, columns: Sequence[Column], *, capacity: int, fast: bool = True):
        self.book, self.formats, self.title, self.columns, self.capacity = book, formats, title, columns, capacity
        self.cell_formats = [formats.of(column) for column in columns]
        self.cells = RowXml(self.cell_formats) if fast else None
        self.parts: list[_Part] = []
        self._new_part()

    @property
    def part(self) -> _Part:
        return self.parts[-1]

    @property
    def rows(self) -> int:
        return sum(part.rows for part in self.parts)

    def _new_part(self) -> None:
        title = self.title if not self.parts else f"{self.title}{len(self.parts) + 1}"
        worksheet = self.book.add_worksheet(title)
        for at, column in enumerate(self.columns):
            worksheet.set_column(at, at, column.width)
        worksheet.freeze_panes(1, 0)
        for at, column in enumerate(self.columns):
            worksheet.write_string(0, at, column.title, self.formats.header)
        self.parts.append(_Part(worksheet, title))

    def write_unit(self, unit: tuple | None, rows: list[list]) -> None:
        if not rows:
            return
        if self.part.rows and self.part.rows + len(rows) > self.capacity:
            self._new_part()
        start = 0
        while start < len(rows):
            if self.part.rows == self.capacity:  # a unit larger than a worksheet
                self._new_part()
            part = self.part
            chunk = rows[start:start + self.capacity - part.rows]
            if self.cells is None:
                for values in chunk:
                    part.rows += 1
                    write_row(part.worksheet, part.rows, values, self.cell_formats, self.formats.plain)
            else:
                part.rows = self.cells.write(part.worksheet, part.rows + 1, chunk) - 1
            start += len(chunk)
            part.first = part.first or unit
            part.last = unit

    def finish(self) -> None:
        for part in self.parts:
            part.worksheet.autofilter(0, 0, part.rows, len(self.columns) - 1)


def write_row(worksheet, row: int, values: Sequence, cell_formats: Sequence, plain) -> None:
    """One row: a text always as a text cell, numbers as numbers, dates as dates; None leaves the cell empty."""
    for column, value in enumerate(values):
        if value is None or value == "":
            continue
        if isinstance(value, str):
            write_text(worksheet, row, column, value, cell_formats[column], plain)
        elif isinstance(value, datetime.date):
            worksheet.write_datetime(row, column, value, cell_formats[column])
        else:
            worksheet.write_number(row, column, float(value) if isinstance(value, Decimal) else value, cell_formats[column])


class RowXml:
    """The data rows of a table as the worksheet XML XlsxWriter writes for them in constant-memory mode (``write_row``
    cell by cell: the same cells, types, formats and escapes), made a row at a time and appended to the worksheet's
    row file in one write a batch. A province's 1.6 million indicator rows spend most of their time in XlsxWriter's
    per-cell calls otherwise.

    Each column keeps the XML of its recent values (units, states, names repeat), the cell reference's row written as
    ``ROW_MARK``, which no text holds (it is one of the characters a workbook cannot hold, dropped from every text):
    a row is its cells' XML joined and the mark replaced by the row's number."""

    ROW_MARK = "\x01"

    def __init__(self, cell_formats: Sequence):
        self.cell_formats = cell_formats
        self.caches: list[_ColumnXml] | None = None

    def write(self, worksheet, first: int, rows: Sequence[Sequence]) -> int:
        """Write ``rows`` from row ``first`` (0-based) on; returns the row after the last."""
        if worksheet.previous_row < first:  # what XlsxWriter holds (the header) goes to the file first
            worksheet._write_single_row(first)
        if self.caches is None:
            self.caches = [_ColumnXml(xl_col_to_name(at), cell_format) for at, cell_format in enumerate(self.cell_formats)]
        caches, mark, out = self.caches, self.ROW_MARK, []
        row = first
        for values in rows:
            row += 1
            try:
                cells = "".join([cache[value] for cache, value in zip(caches, values)])
            except TypeError:  # a value that is not hashable
                cells = "".join([cache.xml(value) for cache, value in zip(caches, values)])
            out.append(f'<row r="{row}">{cells.replace(mark, str(row))}</row>')
        worksheet.row_data_fh.write("".join(out))
        last = row - 1
        worksheet.previous_row = last
        if worksheet.dim_rowmax is None or last > worksheet.dim_rowmax:
            worksheet.dim_rowmax = last
        if worksheet.dim_rowmin is None:
            worksheet.dim_rowmin = first
        return row


class _ColumnXml(dict):
    """A column's cells by value: ``<c r="C\\x01" s="3"><v>12.5</v></c>``; "" for no cell. Remembers ``SIZE`` values."""

    SIZE = 1024

    def __init__(self, letter: str, cell_format):
        super().__init__()
        self.letter, self.cell_format, self._head = letter, cell_format, None

    @property
    def head(self) -> str:
        """``<c r="C\\x01" s="3"``: the format's index taken when the column's first cell is written, as XlsxWriter
        does (the workbook's styles list the formats in the order they are first used)."""
        if self._head is None:
            style = f' s="{self.cell_format._get_xf_index()}"' if self.cell_format else ""
            self._head = f'<c r="{self.letter}{RowXml.ROW_MARK}"{style}'
        return self._head

    def __missing__(self, value) -> str:
        xml = self.xml(value)
        if len(self) >= self.SIZE:
            self.clear()
        self[value] = xml
        return xml

    def xml(self, value) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            return f'{self.head} t="inlineStr"><is>{text_xml(value)}</is></c>'
        if isinstance(value, datetime.date):
            value = _excel_date(value)
        elif isinstance(value, Decimal):
            value = float(value)
        return f"{self.head}><v>{value:.16G}</v></c>"


_ESCAPED = re.compile("(_x[0-9a-fA-F]{4}_)")


def text_xml(text: str) -> str:
    """``<t>…</t>`` of an inline string as XlsxWriter writes ``write_text``'s: characters no workbook holds dropped,
    literal ``_xHHHH_`` and carriage returns escaped, XML escaped, leading or trailing whitespace preserved. A text
    that reads like rich-text XML is escaped like any other (XlsxWriter writes it as a rich string of two runs)."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    if "_x" in text:
        text = _ESCAPED.sub(r"_x005F\1", text)
    if "\r" in text:
        text = text.replace("\r", "_x000D_")
    if "\ufffe" in text or "\uffff" in text:
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if text and (text[0].isspace() or text[-1].isspace()):
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


_EXCEL_DATES: dict = {}


def _excel_date(value: datetime.date) -> float:
    """Excel's serial number of a date or time, as ``write_datetime`` writes it."""
    number = _EXCEL_DATES.get(value)
    if number is None:
        number = _datetime_to_excel_datetime(value, False, False)
        if len(_EXCEL_DATES) < 10_000:
            _EXCEL_DATES[value] = number
    return number


def write_text(worksheet, row: int, column: int, text: str, cell_format, plain) -> None:
    """A text cell, as written but for the characters no workbook can hold. XlsxWriter writes an inline string that
    begins with ``<r>`` and ends with ``</r>`` as rich-text XML without escaping it: such a text is written as a rich
    string of two runs (``<`` and the rest), which XlsxWriter escapes, and reads the same."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    if text.startswith("<r>") and text.endswith("</r>"):
        worksheet.write_rich_string(row, column, "<", plain, text[1:], cell_format)
    else:
        worksheet.write_string(row, column, text, cell_format)


def _date(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


def _summary_values(record, labels: Sequence[str]) -> list:
    errors, warnings = record.errors, record.warnings
    verdict = f"{errors} 个错误" if errors else f"{warnings} 个提示" if warnings else "通过"
    return [
        record.year, record.agency_code, record.agency_name, record.position, record.project_code, record.title,
        record.section, record.state, record.budget_total, record.original_budget, record.fiscal_funds, record.other_funds,
        *[record.plan.get(label) for label in labels],
        verdict, errors, warnings,
        _date(record.submitted_at), _date(record.approved_at), _date(record.published_at),
    ]


def _indicator_values(record, indicator: Sequence) -> list:
    return [record.year, record.agency_code, record.project_code, record.title, record.section, record.state, *indicator]


def _totals(summary: _Table, formats: _Formats, sums: dict[int, Decimal], count: int) -> None:
    """合计 under the rows: SUBTOTAL(109, …) sums what the autofilter shows (all rows when nothing is filtered), over
    every worksheet of the table; the sum of all rows is written as its value, shown by a viewer that does not
    recalculate."""
    part = summary.part
    row = part.rows + 1
    part.worksheet.write_string(row, 5, f"{TOTAL_LABEL}（{count} 个项目）", formats.bold)
    for at, total in sums.items():
        letter = xl_col_to_name(at)
        ranges = [
            f"{'' if other is part else _quoted(other.title) + '!'}{letter}2:{letter}{other.rows + 1}"
            for other in summary.parts if other.rows
        ]
        if ranges:
            part.worksheet.write_formula(row, at, f"=SUBTOTAL(109,{','.join(ranges)})", formats.total, float(total))
        else:
            part.worksheet.write_number(row, at, 0, formats.total)


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _unit(unit: tuple | None) -> str | None:
    return f"{unit[0]} {unit[1]} {unit[2]}" if unit else None


def _index(worksheet, formats: _Formats, summary: _Table, details: _Table, row_limit: int) -> None:
    """目录: each worksheet of the tables, what it holds, its rows and its first and last unit, with a link to it."""
    cell_formats = [formats.of(column) for column in INDEX_COLUMNS]
    for at, column in enumerate(INDEX_COLUMNS):
        worksheet.set_column(at, at, column.width)
        worksheet.write_string(0, at, column.title, formats.header)
    worksheet.freeze_panes(1, 0)
    row = 0
    for table, content in ((summary, "每张绩效目标表一行"), (details, "每个绩效指标一行")):
        for number, part in enumerate(table.parts, start=1):
            row += 1
            worksheet.write_url(row, 0, f"internal:{_quoted(part.title)}!A1", string=part.title)
            suffix = f"（第 {number}/{len(table.parts)} 部分）" if len(table.parts) > 1 else ""
            last = "，末行为合计" if table is summary and part is table.part else ""
            write_row(worksheet, row, [None, content + suffix + last, part.rows, _unit(part.first), _unit(part.last)], cell_formats, formats.plain)
    notes = (
        f"Excel 每个工作表最多 {row_limit:,} 行（含表头）。放不下的表按单位接续到同名加序号的工作表中，同一单位的行都在同一个工作表里"
        "（一个单位的行多于一个工作表时，才在工作表写满处接续）。",
        f"项目汇总共 {summary.rows:,} 行，指标明细共 {details.rows:,} 行。项目汇总的合计行汇总所有部分；"
        "需要整体筛选时，可分别筛选各部分，或用数据库、Power Query 等工具合并各工作表。",
    )
    for note in notes:
        row += 2
        worksheet.write_string(row, 0, note)
