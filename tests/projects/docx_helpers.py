"""Shared helpers for the Word reader/writer tests (no Django)."""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import docx
from docx.document import Document
from docx.text.paragraph import Paragraph

from projects.docx.data import DocxReadError, IndicatorData, PlanPointData, SheetData

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_NAME = "laoting-approval-bureau-targets.docx"
SEED_TEXT_NAME = "laoting-approval-bureau-targets.txt"  # the seed document as text, copied from shared/seed

FIXTURES_DIR = REPO_ROOT / "projects" / "fixtures"
FIXTURE = FIXTURES_DIR / FIXTURE_NAME
SEED_TEXT = FIXTURES_DIR / SEED_TEXT_NAME

# Seed sheets in document order: (project code, title).
SEED_SHEETS = [
    ("13022524P004RE210041X", "“双盲评审”系统升级改造费"),
    ("13022524P004RE210042H", "公共资源“双盲评审”工作资金"),
    ("13022524P004RE210037P", "公共资源交易中心经费"),
    ("13022524P004RE2100364", "公共资源土地交易经费"),
    ("13022524P004RE210040A", "社会信用体系及放管服业务经费"),
    ("13022524P004RE210038B", "审批大厅专家评审及中介费"),
    ("13022524P004RE210035G", "审批中心办公楼运维及保安保洁服务费"),
    ("13022524P004RE210034W", "网络运行维护费"),
    ("13022524P004RE210039Y", "政务服务中心经费"),
]

_WHITESPACE = re.compile(r"\s+")
_BOOKMARK_MARKER = re.compile(r"\[bookmark:[^\]]*\]")
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def squash(text: str) -> str:
    """Text without any whitespace (incl. U+3000) and without the seed's
    literal “[bookmark: …]” conversion artefacts."""
    return _WHITESPACE.sub("", _BOOKMARK_MARKER.sub("", text))


def seed_indicator_rows() -> list[list[str]]:
    """Indicator rows of the seed's text dump (6 cells, blank 一级指标 filled from above)."""
    rows: list[list[str]] = []
    current: list[str] = []
    for line in SEED_TEXT.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("\t"):
            current.append(_BOOKMARK_MARKER.sub("", line[1:]).strip())
        elif current:
            rows.append(current)
            current = []
    indicators = [row for row in rows if len(row) == 6 and row[0] != "一级指标"]
    for previous, row in zip(indicators, indicators[1:]):
        row[0] = row[0] or previous[0]
    return indicators


def all_cell_texts(document: Document) -> list[str]:
    """Text of every ``<w:tc>`` of every table, in order (merged cells once)."""
    return [
        "\n".join(Paragraph(p, table).text for p in tc.p_lst)
        for table in document.tables
        for tr in table._tbl.tr_lst
        for tc in tr.tc_lst
    ]


def open_docx(data: bytes) -> Document:
    return docx.Document(io.BytesIO(data))


def assert_read_error(error: DocxReadError, filename: str, *fragments: str) -> None:
    """A Chinese message naming the file and containing every fragment."""
    message = str(error)
    assert _CHINESE.search(message), message
    assert filename in message, message
    for fragment in fragments:
        assert fragment in message, message


# ---------------------------------------------------------------- building test documents

HEADER_ROWS = [
    ["483001乐亭县行政审批局本级", "单位：万元"],
    ["项目编码", "13022524P004RE210041X", "项目名称", "测试项目"],
    ["预算规模及资金用途", "预算数", "8.00", "其中：财政    资金", "8.00", "其他资金", " "],
    ["", "用于测试"],
    ["资金支出计划（%）", "3月底", "6月底", "10月底", "12月底"],
    ["", "25%", "50%", "75%", "100%"],
    ["绩效目标", "完成测试"],
]

INDICATOR_ROWS = [
    ["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据"],
    ["产出指标", "数量指标", "测试数量", "测试数量描述", "1个", "测试依据"],
    ["", "质量指标", "测试质量", "测试质量描述", "≥98%", "测试依据"],
    ["满意度指标", "服务对象满意度指标", "服务对象满意度", "服务对象满意度", "≥98%", "服务对象满意度"],
]


def replace_cell(rows: Sequence[Sequence[str]], old: str, new: str) -> list[list[str]]:
    """A copy of ``rows`` with the first cell equal to ``old`` set to ``new``."""
    result = copy.deepcopy([list(row) for row in rows])
    for row in result:
        if old in row:
            row[row.index(old)] = new
            return result
    raise AssertionError(f"no cell {old!r}")


def build_docx(
    header: Sequence[Sequence[str]] | None = HEADER_ROWS,
    indicators: Sequence[Sequence[str]] | None = INDICATOR_ROWS,
    *,
    heading: str = "1.测试项目绩效目标表",
) -> bytes:
    """A plain python-docx document with one project (no merged cells)."""
    document = docx.Document()
    document.add_heading("预算项目绩效目标", level=1)
    document.add_paragraph(heading)
    for rows in (header, indicators):
        if rows is not None:
            _add_table(document, rows)
            document.add_paragraph()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _add_table(document: Document, rows: Sequence[Sequence[str]]) -> None:
    width = max(len(row) for row in rows)
    table = document.add_table(rows=len(rows), cols=width)
    for row, texts in zip(table.rows, rows):
        for cell, text in zip(row.cells, texts):
            cell.text = text


def _cumulative_percent(index: int, count: int) -> Decimal:
    return (Decimal(100 * (index + 1)) / count).quantize(Decimal("0.01"))


def make_sheet(number: int = 1, *, plan_months: Sequence[int] = (3, 6, 10, 12), **overrides: object) -> SheetData:
    values: dict[str, object] = dict(
        number=number,
        title=f"测试项目{number}",
        agency_code="483001",
        agency_name="乐亭县行政审批局本级",
        project_code=f"13022524P004RE21{number:05d}X",
        project_name=f"测试项目{number}",
        budget_total=Decimal("120.00"),
        fiscal_funds=Decimal("100.00"),
        other_funds=Decimal("20.00"),
        purpose="用于测试",
        plan=[
            PlanPointData(label=f"{month}月底", month=month, percent=_cumulative_percent(index, len(plan_months)))
            for index, month in enumerate(plan_months)
        ],
        goal="完成测试",
        indicators=[
            IndicatorData("产出指标", "数量指标", "测试数量", "测试数量描述", "1个", "测试依据"),
            IndicatorData("产出指标", "数量指标", "测试数量二", "测试数量描述二", "2个", "测试依据"),
            IndicatorData("效益指标", "数量指标", "测试效益", "测试效益描述", "逐年提升", "测试依据"),
        ],
    )
    values.update(overrides)
    return SheetData(**values)  # type: ignore[arg-type]
