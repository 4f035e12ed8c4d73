"""manage.py export_targets and the database round trip: import, export, import the export."""

import io

import docx
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from projects.docx.reader import read_document
from projects.models import TargetSheet
from projects.selectors import sheets_with_content
from tests.support import drive


def export(tmp_path, *extra):
    target = tmp_path / "out.docx"
    out = io.StringIO()
    call_command("export_targets", "--agency", "483001", "--year", "2024", "--output", str(target), *extra, stdout=out)
    return target, out.getvalue()


def all_snapshots():
    return [s.snapshot() for s in sheets_with_content().filter(fiscal_year__year=2024, agency__code="483001").order_by("position")]


def test_export_writes_goals_and_nine_numbered_tables_marked_as_drafts(demo, tmp_path):
    target, output = export(tmp_path)
    assert "已导出 9 张" in output
    document = docx.Document(str(target))
    headings = [p.text for p in document.paragraphs if p.text.endswith("绩效目标表")]
    assert headings[0] == "1.“双盲评审”系统升级改造费绩效目标表"
    assert headings[6] == "7.审批中心办公楼运维及保安保洁服务费绩效目标表"
    assert len(document.tables) == 9  # one table per sheet, as in the official form
    assert document.tables[0].cell(0, 0).text == "483001乐亭县行政审批局本级"
    assert sum(p.text.startswith("草稿 — 未审定") for p in document.paragraphs) == 9  # the demo's sheets are drafts
    assert any("总体绩效目标" in p.text for p in document.paragraphs)


def test_round_trip_keeps_every_sheet_identical(demo, tmp_path):
    before = all_snapshots()
    target, _ = export(tmp_path)
    TargetSheet.objects.filter(agency__code="483001").update(purpose="将被导入覆盖")
    call_command("import_targets", str(target), "--year", "2024", stdout=io.StringIO())
    assert all_snapshots() == before


def test_every_cell_of_the_seed_tables_appears_in_the_export(demo, tmp_path, seed_docx):
    def cells(path):
        texts = set()
        for table in docx.Document(str(path)).tables:
            for row in table.rows:
                for cell in row.cells:
                    text = "".join(cell.text.split()).replace("[bookmark:_GoBack]", "")
                    if text:
                        texts.add(text)
        return texts

    target, _ = export(tmp_path)
    assert cells(seed_docx) - cells(target) == set()


def test_published_only_exports_just_the_published_sheets(demo, tmp_path):
    User = get_user_model()
    sheet = TargetSheet.objects.get(position=3)
    drive(sheet, ("submit", User.objects.get(username="staff_ggzy")), ("approve", User.objects.get(username="head_ggzy")),
          ("approve", User.objects.get(username="leader")), ("approve", User.objects.get(username="finance")))
    target, output = export(tmp_path, "--published-only")
    assert "已导出 1 张" in output
    data = read_document(target)
    assert [(s.number, s.project_code) for s in data.sheets] == [(1, "13022524P004RE210037P")]


def test_unknown_agency_is_reported(db, tmp_path):
    with pytest.raises(CommandError, match="没有编码为 999999"):
        call_command("export_targets", "--agency", "999999", "--year", "2024", "--output", str(tmp_path / "x.docx"))
