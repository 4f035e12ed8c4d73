"""The Word package as finance prints it: rendered through LibreOffice to PDF and read back with pdfplumber.

No sheet shorter than a page is broken across pages, every title sits on the page of its table, drafts
carry “草稿 — 未审定” and published sheets do not, the 第一部分 heading is there and ≤75.5万元 stays on one
line. The rendered pages are written to tests/artifacts/docx/ to be looked at.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest

from projects.docx.data import DocumentData, IndicatorData
from projects.docx.reader import read_document
from projects.docx.writer import DRAFT_MARK, write_document, write_sheet
from tests.projects.docx_helpers import FIXTURE, make_sheet

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "docx"
OFFICE = shutil.which("soffice") or shutil.which("libreoffice")
LONG_TITLE = "超长指标表"

pytestmark = pytest.mark.skipif(OFFICE is None, reason="LibreOffice is not installed")


def render(document_path: Path, workdir: Path) -> Path:
    """``soffice --convert-to pdf`` with a profile of its own (runs never share or lock one)."""
    profile = workdir / "profile"
    command = [
        str(OFFICE), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
        "--outdir", str(workdir), str(document_path),
    ]
    subprocess.run(command, check=True, timeout=300, capture_output=True, env={**os.environ, "HOME": str(workdir)})
    pdf = workdir / f"{document_path.stem}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    return pdf


def save_pages(pdf: pdfplumber.PDF, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(pdf.pages, start=1):
        page.to_image(resolution=80).save(str(ARTIFACTS / f"{name}-page{number:02d}.png"))


@dataclasses.dataclass
class Page:
    number: int
    lines: list[dict]  # pdfplumber text lines: text, top, bottom
    tables: list[tuple[float, float]]  # (top, bottom) of each ruled table

    def titles(self) -> list[dict]:
        return [line for line in self.lines if line["text"].replace(" ", "").endswith("绩效目标表")]

    def line_above(self, line: dict) -> str:
        above = [other for other in self.lines if other["bottom"] <= line["top"] + 1]
        return max(above, key=lambda other: other["bottom"])["text"] if above else ""

    def tables_between(self, top: float, bottom: float) -> list[tuple[float, float]]:
        return [table for table in self.tables if top <= table[0] < bottom]


def pages_of(pdf: pdfplumber.PDF) -> list[Page]:
    pages = []
    for number, page in enumerate(pdf.pages, start=1):
        tables = sorted((table.bbox[1], table.bbox[3]) for table in page.find_tables())
        pages.append(Page(number, page.extract_text_lines(), tables))
    return pages


def package() -> DocumentData:
    """The seed, every other sheet a draft, plus a sheet with ≤75.5万元 and one longer than a page."""
    seed = read_document(FIXTURE)
    sheets = [
        dataclasses.replace(sheet, published=index % 2 == 0, state_label="" if index % 2 == 0 else "财政审核")
        for index, sheet in enumerate(seed.sheets)
    ]
    amount = make_sheet(number=10, title="指标值宽度检查", published=False, state_label="草稿")
    amount.indicators[0] = IndicatorData("产出指标", "成本指标", "经费预算控制数", "经费预算控制数", "≤75.5万元", "经费预算数")
    rows = [IndicatorData("产出指标", "数量指标", f"长表指标{i}", "描述", f"≥{i}个", "依据") for i in range(70)]
    long = make_sheet(number=11, title=LONG_TITLE, indicators=rows)
    return dataclasses.replace(seed, sheets=[*sheets, amount, long], year=2024, scope="全部", generated=datetime.date(2025, 1, 6))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[DocumentData, list[Page]]:
    workdir = tmp_path_factory.mktemp("render")
    data = package()
    source = workdir / "package.docx"
    write_document(data, source)
    with pdfplumber.open(render(source, workdir)) as pdf:
        save_pages(pdf, "package")
        return data, pages_of(pdf)


def test_the_package_opens_on_a_title_page_and_numbers_the_pages_after_it(rendered) -> None:
    data, pages = rendered
    cover = [line["text"].replace(" ", "") for line in pages[0].lines]
    drafts = sum(1 for sheet in data.sheets if not sheet.published)
    assert cover == [
        "483001乐亭县行政审批局本级", "2024年度", "预算绩效目标表（全部）", f"共{len(data.sheets)}个项目，其中{drafts}个尚未审定",
        "生成日期：2025年1月6日",
    ]
    assert not pages[0].tables
    footers = [max(page.lines, key=lambda line: line["bottom"])["text"].replace(" ", "") for page in pages[1:]]
    assert footers == [f"第{number}页" for number in range(1, len(pages))]  # the PAGE field, from the page after the cover


def test_the_part_headings_are_there(rendered) -> None:
    _, pages = rendered
    text = [line["text"].replace(" ", "") for page in pages for line in page.lines]
    assert text.index("第一部分") < text.index("部门整体绩效目标") < text.index("第二部分") < text.index("预算项目绩效目标")


def test_every_title_is_on_the_page_of_its_table_and_no_short_sheet_breaks(rendered) -> None:
    data, pages = rendered
    seen_titles = []
    continued = []
    for page in pages:
        titles = page.titles()
        seen_titles += [title["text"].replace(" ", "") for title in titles]
        for index, title in enumerate(titles):
            below = titles[index + 1]["top"] if index + 1 < len(titles) else float("inf")
            assert len(page.tables_between(title["bottom"] - 1, below)) == 1, f"page {page.number}: {title['text']} has no table under it"
        first_title = titles[0]["top"] if titles else float("inf")
        if page.tables_between(0, first_title):  # a table above any title: the rest of the sheet before
            continued.append(page.number)
    expected = [f"{sheet.number}.{sheet.title}绩效目标表" for sheet in data.sheets]
    assert seen_titles == expected
    long_page = next(page.number for page in pages if any(LONG_TITLE in t["text"].replace(" ", "") for t in page.titles()))
    # only the sheet longer than a page (the last one) goes on over page breaks, onto the pages after its title
    assert continued and continued == list(range(long_page + 1, len(pages) + 1))


def test_drafts_carry_the_mark_and_published_sheets_do_not(rendered) -> None:
    data, pages = rendered
    marked = {}
    for page in pages:
        for title in page.titles():
            marked[title["text"].replace(" ", "")] = page.line_above(title).replace(" ", "").startswith(DRAFT_MARK.replace(" ", ""))
    assert marked == {f"{s.number}.{s.title}绩效目标表": not s.published for s in data.sheets}


def test_a_long_value_stays_on_one_line(rendered) -> None:
    _, pages = rendered
    lines = [line["text"].replace(" ", "") for page in pages for line in page.lines]
    assert any("≤75.5万元" in line for line in lines)


def test_a_single_draft_carries_the_mark_in_the_page_header(tmp_path) -> None:
    source = tmp_path / "draft.docx"
    write_sheet(make_sheet(number=1, title="单张草稿", published=False, state_label="草稿"), source)
    with pdfplumber.open(render(source, tmp_path)) as pdf:
        save_pages(pdf, "single-draft")
        lines = [line["text"].replace(" ", "") for line in pdf.pages[0].extract_text_lines()]
    assert lines[0] == DRAFT_MARK.replace(" ", "")  # the page header
    assert "草稿—未审定（草稿）" in lines


def test_a_published_sheet_has_no_mark(tmp_path) -> None:
    source = tmp_path / "published.docx"
    write_sheet(make_sheet(number=1, title="单张已公开"), source)
    with pdfplumber.open(render(source, tmp_path)) as pdf:
        text = pdf.pages[0].extract_text()
    assert "草稿" not in text and "未审定" not in text
    assert "1.单张已公开绩效目标表" in text.replace(" ", "")
