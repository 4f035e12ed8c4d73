"""Write budget performance target packages (预算绩效目标, .docx) from plain data.

The layout is the attachment finance accepts (the county's template, as in the seed document):
第一部分 部门整体绩效目标, then 第二部分 预算项目绩效目标 with, for every project, a heading
“N.<项目名称>绩效目标表” kept with ONE table: the header part (unit line, code and name, amounts,
spending plan, goal) over the indicator part (一级/二级/三级指标 …). Rows never split across pages
and every row but the last keeps with the next, so a sheet shorter than a page is never broken and its
title stays with it. Text is left-aligned, amounts and percents right-aligned, in 宋体 10 pt like the
seed's tables; a sheet that is not published carries a red “草稿 — 未审定” line above its title (and a
document of drafts only carries it in the page header too). A package opens on a title page (agency, year,
预算绩效目标表 with 全部 or 已公开, how many sheets, the date it was made); every page after it is numbered in
the footer (a PAGE field, the first page after the title page being 第 1 页).

Speed: python-docx builds the template (styles, page, header) once per process; the body is written as
WordprocessingML text in one pass, linear in the rows (no python-docx cell merging or grid walks), and
packed into the template's zip. ``projects.docx.reader`` reads the output back into equal data.
"""

from __future__ import annotations

import datetime
import functools
import io
import os
import re
import zipfile
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import BinaryIO, Union
from xml.sax.saxutils import escape

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import BaseStyle

from .data import DepartmentGoalsData, DocumentData, PlanPointData, SheetData

Target = Union[str, os.PathLike[str], BinaryIO]

PRODUCT = "targetflow"
FONT_NAME = "SimSun"
EAST_ASIA_FONT = "宋体"
BODY_FONT_NAME = "FangSong"
BODY_EAST_ASIA_FONT = "仿宋"
BODY_SIZE = Pt(12)  # 小四, the goals' text (仿宋)
TABLE_SIZE = Pt(10)  # the seed's tables: w:sz 20
HEADING_SIZES = {"Heading 1": Pt(16), "Heading 2": Pt(14), "Heading 3": Pt(12)}  # 三号, 四号, 小四

PART_ONE = "第一部分"
PART_TWO = "第二部分"
GOALS_HEADING = "部门整体绩效目标"
PROJECTS_HEADING = "预算项目绩效目标"
GOAL_SECTIONS = (("一、总体绩效目标", "overall"), ("二、分项绩效目标", "itemized"), ("三、工作保障措施", "safeguards"))
DRAFT_MARK = "草稿 — 未审定"

AMOUNT_LABELS = ("预算数", "其中：财政资金", "其他资金")
INDICATOR_HEADERS = ("一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据")

# Column widths in twips (1 cm = 567); the text width of A4 with 20 mm margins is 170 mm = 9,638 twips.
TEXT_WIDTH = 9638
HEADER_WIDTHS = (1250, 1398, 1398, 1398, 1398, 1398, 1398)  # label | six slots for amounts and checkpoints
# 一级 | 二级 | 三级 | 描述 | 指标值 (≤75.5万元 on one line at 10 pt) | 依据
INDICATOR_WIDTHS = (1250, 1398, 1700, 2288, 1450, 1552)
PLAN_SLOTS = len(HEADER_WIDTHS) - 1  # checkpoints share slots 1..6; more go to extra rows

TABLE_STYLE = "TableText"
DRAFT_STYLE = "DraftMark"


def write_document(doc: DocumentData, target: Target) -> None:
    """The whole department package: a title page, the goals, then every project's table."""
    parts: list[str] = [_title_page(doc)]
    if not doc.goals.is_empty():
        parts.append(_heading(PART_ONE, 1))
        parts.append(_goals(doc.goals))
    parts.append(_heading(PART_TWO, 1))
    parts.append(_heading(PROJECTS_HEADING, 1))
    parts.extend(_sheet(sheet) for sheet in doc.sheets)
    drafts_only = bool(doc.sheets) and not any(sheet.published for sheet in doc.sheets)
    title = f"{doc.agency_code}{doc.agency_name}{_year_text(doc.year)}预算绩效目标"
    _save("".join(parts), target, title=title, subject=_subject(doc.agency_name, doc.year), drafts_only=drafts_only, title_page=True)


def write_sheet(sheet: SheetData, target: Target, *, goals: DepartmentGoalsData | None = None) -> None:
    """One project's heading and table, optionally after the department goals."""
    parts: list[str] = []
    if goals is not None and not goals.is_empty():
        parts.append(_heading(PART_ONE, 1))
        parts.append(_goals(goals))
        parts.append(_heading(PART_TWO, 1))
        parts.append(_heading(PROJECTS_HEADING, 1))
    parts.append(_sheet(sheet))
    title = f"{sheet.number}.{sheet.title}绩效目标表"
    _save("".join(parts), target, title=title, subject=_subject(sheet.agency_name, sheet.year), drafts_only=not sheet.published)


def format_amount(value: Decimal) -> str:
    """Decimal("8") → "8.00"."""
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"


def format_percent(value: Decimal) -> str:
    """Decimal("25.00") → "25%", Decimal("12.5") → "12.5%"."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _year_text(year: int | None) -> str:
    return f"{year}年" if year else ""


def _subject(agency_name: str, year: int | None) -> str:
    return f"{agency_name} {_year_text(year)}".strip()


# ---------------------------------------------------------------- text → WordprocessingML

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NUMBER = re.compile(r"^\s*[≥≤＞＜><=＝]?\s*[0-9０-９]")


def _text(text: str) -> str:
    """Runs' content: escaped text, a ``w:br`` for each line break."""
    lines = _NOT_XML.sub("", text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in lines)


def _paragraph(text: str, *, style: str | None = None, align: str | None = None, keep: bool = False, bold: bool = False, indent: bool = False) -> str:
    ppr = []
    if style:
        ppr.append(f'<w:pStyle w:val="{style}"/>')
    if keep:
        ppr.append("<w:keepNext/>")
    if indent:
        ppr.append('<w:ind w:firstLineChars="200" w:firstLine="480"/>')
    if align:
        ppr.append(f'<w:jc w:val="{align}"/>')
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    run = f"<w:r>{rpr}{_text(text)}</w:r>" if text else ""
    return f"<w:p><w:pPr>{''.join(ppr)}</w:pPr>{run}</w:p>"


def _heading(text: str, level: int, *, keep: bool = True) -> str:
    return _paragraph(text, style=f"Heading{level}", keep=keep)


def _title_line(text: str, *, size_pt: int, bold: bool = False, before_pt: int = 0, color: str = "") -> str:
    rpr = ("<w:b/>" if bold else "") + (f'<w:color w:val="{color}"/>' if color else "") + f'<w:sz w:val="{size_pt * 2}"/>'
    return (
        f'<w:p><w:pPr><w:spacing w:before="{before_pt * 20}" w:after="240"/><w:jc w:val="center"/></w:pPr>'
        f"<w:r><w:rPr>{rpr}</w:rPr>{_text(text)}</w:r></w:p>"
    )


def _title_page(doc: DocumentData) -> str:
    """The package's first page: who, which year, which sheets (全部 / 已公开), how many, made when; then a page break.
    No line ends in 绩效目标表, which the reader takes for a sheet's title."""
    drafts = sum(1 for sheet in doc.sheets if not sheet.published)
    count = f"共 {len(doc.sheets)} 个项目" + (f"，其中 {drafts} 个尚未审定" if drafts else "")
    generated = doc.generated or datetime.date.today()
    lines = [
        _title_line(f"{doc.agency_code} {doc.agency_name}", size_pt=16, bold=True, before_pt=160),
        _title_line(f"{doc.year}年度" if doc.year else "", size_pt=16, bold=True),
        _title_line(f"预算绩效目标表（{doc.scope}）" if doc.scope else "预算绩效目标", size_pt=26, bold=True, before_pt=24),
        _title_line(count, size_pt=14, before_pt=36, color="C00000" if drafts else ""),
        _title_line(f"生成日期：{generated.year}年{generated.month}月{generated.day}日", size_pt=14, before_pt=120),
    ]
    return "".join(lines) + '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'


def _goals(goals: DepartmentGoalsData) -> str:
    parts = [_heading(GOALS_HEADING, 1)]
    for heading, attribute in GOAL_SECTIONS:
        parts.append(_heading(heading, 2))
        parts.extend(_paragraph(text, style="GoalText", indent=True) for text in getattr(goals, attribute) if text.strip())
    return "".join(parts)


# ---------------------------------------------------------------- one sheet: title and one table


def _grid() -> tuple[list[int], dict[int, int]]:
    """One grid for both parts: the union of the header's and the indicators' column boundaries."""
    edges = set()
    for widths in (HEADER_WIDTHS, INDICATOR_WIDTHS):
        position = 0
        for width in widths:
            position += width
            edges.add(position)
    ordered = sorted(edges)
    columns = [right - left for left, right in zip([0, *ordered], ordered)]
    return columns, {edge: index + 1 for index, edge in enumerate(ordered)}


GRID_COLUMNS, _GRID_INDEX = _grid()


def _spans(widths: Sequence[int]) -> list[int]:
    """How many grid columns each of ``widths`` covers."""
    spans, position, start = [], 0, 0
    for width in widths:
        position += width
        end = _GRID_INDEX[position]
        spans.append(end - start)
        start = end
    return spans


HEADER_SPANS = _spans(HEADER_WIDTHS)
INDICATOR_SPANS = _spans(INDICATOR_WIDTHS)
_GRID_XML = "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}"/>' for w in GRID_COLUMNS) + "</w:tblGrid>"
_TABLE_PROPERTIES = (
    '<w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="%d" w:type="dxa"/><w:jc w:val="center"/>'
    '<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
    'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>' % TEXT_WIDTH
)


PAGE_TEXT_HEIGHT_PT = 247 * 72 / 25.4  # A4 less 25 mm top and bottom margins
LONG_TABLE_PT = PAGE_TEXT_HEIGHT_PT - 60  # the title and the draft mark above the table
LINE_PT = 13.0  # 10 pt text, single spacing (the cells' paragraphs have no spacing)
CELL_MARGINS_PT = 2 * 108 / 20


class _Table:
    """Rows of one sheet's table as text. Rows never split; every row keeps with the next except the last, so
    a sheet shorter than a page moves to the next page whole, with its title. A sheet estimated longer than a
    page keeps only its header part and first indicator row together with the title (a chain of keeps longer
    than a page would leave the title alone at the foot of a page)."""

    def __init__(self) -> None:
        self.rows: list[list[tuple]] = []
        self.height = 0.0
        self.head_rows = 0  # rows kept with the title in a table longer than a page

    def row(self, cells: list[tuple]) -> None:
        """``cells``: (text, grid span, width, bold, align, vertical merge), the arguments of ``_cell``."""
        self.rows.append(cells)
        if self.height <= LONG_TABLE_PT:  # once longer than a page, the estimate has said all it has to say
            self.height += LINE_PT * max(_lines(cell[0], cell[2]) for cell in cells) + 1

    def mark_head(self) -> None:
        self.head_rows = len(self.rows)

    def xml(self) -> str:
        out = ["<w:tbl>", _TABLE_PROPERTIES, _GRID_XML]
        last = len(self.rows) - 1
        keep_until = self.head_rows if self.height > LONG_TABLE_PT else last
        for index, cells in enumerate(self.rows):
            keep = index < keep_until
            out.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
            out.extend(_cell(*cell, keep=keep) for cell in cells)
            out.append("</w:tr>")
        out.append("</w:tbl>")
        return "".join(out)


def _lines(text: str, width_twips: int) -> int:
    """About how many lines ``text`` takes in a cell ``width_twips`` wide at 10 pt (CJK 10 pt, others 5.5 pt)."""
    usable = max(width_twips / 20 - CELL_MARGINS_PT, 10)
    lines = 0
    for line in text.split("\n"):
        wide = (len(line.encode("utf-8")) - len(line)) // 2  # CJK characters take 3 bytes in UTF-8, ASCII 1
        lines += max(1, -(-int(wide * 10 + (len(line) - wide) * 5.5) // int(usable)))
    return lines


def _cell(text: str, span: int, width: int, bold: bool = False, align: str = "left", merge: str | None = None, *, keep: bool) -> str:
    tcpr = [f'<w:tcW w:w="{width}" w:type="dxa"/>']
    if span > 1:
        tcpr.append(f'<w:gridSpan w:val="{span}"/>')
    if merge == "restart":
        tcpr.append('<w:vMerge w:val="restart"/>')
    elif merge == "continue":
        tcpr.append("<w:vMerge/>")
    tcpr.append('<w:vAlign w:val="center"/>')
    keep_xml = "<w:keepNext/>" if keep else ""
    body = "" if merge == "continue" or not text else f"<w:r>{'<w:rPr><w:b/></w:rPr>' if bold else ''}{_text(text)}</w:r>"
    return (
        f"<w:tc><w:tcPr>{''.join(tcpr)}</w:tcPr><w:p><w:pPr><w:pStyle w:val=\"{TABLE_STYLE}\"/>{keep_xml}"
        f'<w:jc w:val="{align}"/></w:pPr>{body}</w:p></w:tc>'
    )


def _header_cells(items: Sequence[tuple]) -> list[tuple]:
    """Cells over the header's columns: each item is (text, first slot, last slot, bold, align, merge)."""
    cells = []
    for text, first, last, bold, align, merge in items:
        span = sum(HEADER_SPANS[first : last + 1])
        width = sum(HEADER_WIDTHS[first : last + 1])
        cells.append((text, span, width, bold, align, merge))
    return cells


LAST = len(HEADER_WIDTHS) - 1


def _sheet(sheet: SheetData) -> str:
    parts = []
    if not sheet.published:
        mark = f"{DRAFT_MARK}（{sheet.state_label}）" if sheet.state_label else DRAFT_MARK
        parts.append(_paragraph(mark, style=DRAFT_STYLE, keep=True))
    parts.append(_heading(f"{sheet.number}.{sheet.title}绩效目标表", 3))
    table = _Table()
    _header_part(table, sheet)
    _indicator_part(table, sheet)
    parts.append(table.xml())
    return "".join(parts)


ORIGINAL_OPEN = "（年初："  # how a value an adjustment changed names its 年初 value beside it


def _header_part(table: _Table, sheet: SheetData) -> None:
    row = table.row
    row(_header_cells([(f"{sheet.agency_code}{sheet.agency_name}", 0, 3, True, "left", None), ("单位：万元", 4, LAST, False, "right", None)]))
    row(_header_cells([
        ("项目编码", 0, 0, True, "left", None), (sheet.project_code, 1, 3, False, "left", None),
        ("项目名称", 4, 4, True, "left", None), (sheet.project_name, 5, LAST, False, "left", None),
    ]))
    other = format_amount(sheet.other_funds) if sheet.other_funds else ""
    budget = format_amount(sheet.budget_total)
    if sheet.original_budget is not None:  # 年初 and 调整后 side by side (the reader reads back the adjusted amount)
        budget = f"{budget}{ORIGINAL_OPEN}{format_amount(sheet.original_budget)}）"
    amounts = (budget, format_amount(sheet.fiscal_funds), other)
    items = [("预算规模及资金用途", 0, 0, True, "left", "restart")]
    for index, (label, amount) in enumerate(zip(AMOUNT_LABELS, amounts)):
        items.append((label, 1 + 2 * index, 1 + 2 * index, True, "left", None))
        items.append((amount, 2 + 2 * index, 2 + 2 * index, False, "right", None))
    row(_header_cells(items))
    row(_header_cells([("", 0, 0, False, "left", "continue"), (sheet.purpose, 1, LAST, False, "left", None)]))
    _plan_part(table, sheet.plan)
    row(_header_cells([("绩效目标", 0, 0, True, "left", None), (sheet.goal, 1, LAST, False, "left", None)]))


def _plan_part(table: _Table, plan: Sequence[PlanPointData]) -> None:
    """Checkpoint labels over their percents, up to six per pair of rows."""
    pairs = max(1, -(-len(plan) // PLAN_SLOTS))
    for pair in range(pairs):
        chunk = plan[pair * PLAN_SLOTS : (pair + 1) * PLAN_SLOTS]
        cells = [(point.label, format_percent(point.percent)) for point in chunk] or [("", "")]
        spans = _plan_spans(len(cells))
        label_merge = "restart" if pair == 0 else "continue"
        labels = [("资金支出计划（%）" if pair == 0 else "", 0, 0, True, "left", label_merge)]
        percents = [("", 0, 0, False, "left", "continue")]
        for (first, last), (label, percent) in zip(spans, cells):
            labels.append((label, first, last, False, "center", None))
            percents.append((percent, first, last, False, "right", None))
        table.row(_header_cells(labels))
        table.row(_header_cells(percents))


def _plan_spans(count: int) -> list[tuple[int, int]]:
    """Spread ``count`` checkpoints over slots 1..6; four give the seed's 1-2, 3, 4-5, 6."""
    starts = [1 + -(-index * PLAN_SLOTS // count) for index in range(count)] + [LAST + 1]
    return [(start, end - 1) for start, end in zip(starts, starts[1:])]


def _indicator_part(table: _Table, sheet: SheetData) -> None:
    """Linear in the rows: one pass marks each run of equal 一级 (and 一级+二级) as a vertical merge."""
    spans, widths = INDICATOR_SPANS, INDICATOR_WIDTHS
    table.row([(label, spans[c], widths[c], True, "center", None) for c, label in enumerate(INDICATOR_HEADERS)])
    table.mark_head()  # with the first indicator row (the last kept row keeps with the one after it)
    indicators = sheet.indicators
    merges = [_merges([(i.category,) for i in indicators]), _merges([(i.category, i.subcategory) for i in indicators])]
    for index, indicator in enumerate(indicators):
        cells = []
        for column, text in enumerate((indicator.category, indicator.subcategory)):
            merge = merges[column][index]
            cells.append(("" if merge == "continue" else text, spans[column], widths[column], False, "left", merge))
        value_align = "right" if _NUMBER.match(indicator.target_value) else "left"
        cells.append((indicator.name, spans[2], widths[2], False, "left", None))
        cells.append((indicator.description, spans[3], widths[3], False, "left", None))
        cells.append((indicator.target_value, spans[4], widths[4], False, value_align, None))
        cells.append((indicator.basis, spans[5], widths[5], False, "left", None))
        table.row(cells)


def _merges(keys: Sequence[tuple]) -> list[str | None]:
    """Per row: "restart" on the first of a run of equal keys longer than one, "continue" below it, else None."""
    marks: list[str | None] = []
    for _, run in groupby(keys):
        length = len(list(run))
        marks.extend([None] if length == 1 else ["restart", *["continue"] * (length - 1)])
    return marks


# ---------------------------------------------------------------- the package


@functools.lru_cache(maxsize=4)
def _template(drafts_only: bool, title_page: bool) -> tuple[tuple[tuple[zipfile.ZipInfo, bytes], ...], str, str]:
    """The template's zip entries (document.xml and core.xml left out), the document's opening tag and its sectPr."""
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(25)
    _styles(document)
    if drafts_only:
        header = section.header.paragraphs[0]
        header.text = DRAFT_MARK
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        header.style = document.styles[DRAFT_STYLE]
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    footer._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    footer.add_run(" 页")
    if title_page:  # the title page has no header or footer, and the page after it is 第 1 页
        section.different_first_page_header_footer = True
        section._sectPr.append(parse_xml(f'<w:pgNumType {nsdecls("w")} w:start="0"/>'))
    buffer = io.BytesIO()
    document.save(buffer)
    entries = []
    with zipfile.ZipFile(buffer) as archive:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == "word/document.xml":
                xml = data.decode("utf-8")
                opening = xml[: xml.index("<w:body>")]
                sect_pr = xml[xml.index("<w:sectPr") : xml.index("</w:sectPr>") + len("</w:sectPr>")]
            elif info.filename != "docProps/core.xml":
                entries.append((info, data))
    return tuple(entries), opening, sect_pr


def _styles(document) -> None:
    styles = document.styles
    for name in ("Normal", "Heading 1", "Heading 2", "Heading 3"):
        _use_font(styles[name], FONT_NAME, EAST_ASIA_FONT)
    styles["Normal"].font.size = Pt(11)  # the seed's Normal: 宋体 11 pt
    for name, size in HEADING_SIZES.items():
        style = styles[name]
        style.font.size = size
        style.font.bold = True
        style.paragraph_format.keep_with_next = True
        style.paragraph_format.space_before = Pt(12 if name != "Heading 3" else 9)
        style.paragraph_format.space_after = Pt(6)
    styles["Heading 1"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    styles["Heading 3"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    body = styles.add_style("GoalText", WD_STYLE_TYPE.PARAGRAPH)
    body.base_style = styles["Normal"]
    _use_font(body, BODY_FONT_NAME, BODY_EAST_ASIA_FONT)
    body.font.size = BODY_SIZE
    cell = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = styles["Normal"]
    _use_font(cell, FONT_NAME, EAST_ASIA_FONT)
    cell.font.size = TABLE_SIZE
    cell.paragraph_format.space_before = cell.paragraph_format.space_after = Pt(0)
    cell.paragraph_format.line_spacing = 1.0
    mark = styles.add_style(DRAFT_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    mark.base_style = styles["Normal"]
    _use_font(mark, FONT_NAME, EAST_ASIA_FONT)
    mark.font.size = Pt(12)
    mark.font.bold = True
    mark.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    mark.paragraph_format.keep_with_next = True
    mark.paragraph_format.space_before = Pt(6)
    mark.paragraph_format.space_after = Pt(0)
    styles["Normal"].paragraph_format.space_after = Pt(4)


def _use_font(style: BaseStyle, ascii_name: str, east_asia: str) -> None:
    """A named font everywhere; theme fonts (set on the template's headings) would win otherwise."""
    font = style.font
    font.name = ascii_name
    font.color.rgb = RGBColor(0, 0, 0)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:eastAsia"), east_asia)


def _core_properties(title: str, subject: str) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:subject>{escape(subject)}</dc:subject>"
        f"<dc:creator>{PRODUCT}</dc:creator><cp:keywords>预算绩效目标</cp:keywords>"
        f"<dc:description>{escape(subject)} 预算绩效目标（{PRODUCT} 导出）</dc:description>"
        f"<cp:lastModifiedBy>{PRODUCT}</cp:lastModifiedBy><cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _save(body: str, target: Target, *, title: str, subject: str, drafts_only: bool, title_page: bool = False) -> None:
    entries, opening, sect_pr = _template(drafts_only, title_page)
    document_xml = f"{opening}<w:body>{body}<w:p/>{sect_pr}</w:body></w:document>"
    if isinstance(target, (str, os.PathLike)):
        with open(os.fspath(target), "wb") as handle:
            _zip(handle, entries, document_xml, _core_properties(title, subject))
    else:
        _zip(target, entries, document_xml, _core_properties(title, subject))


def _zip(handle: BinaryIO, entries, document_xml: str, core_xml: str) -> None:
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=5) as archive:
        for info, data in entries:
            if info.filename == "[Content_Types].xml":
                archive.writestr(info.filename, data)
                archive.writestr("word/document.xml", document_xml.encode("utf-8"))
                archive.writestr("docProps/core.xml", core_xml.encode("utf-8"))
            else:
                archive.writestr(info.filename, data)
