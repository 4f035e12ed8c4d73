"""manage.py import_targets (workflow): the seed imports, re-import updates drafts and records the previous content in
the history, --dry-run previews without writing, bad input changes nothing."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from projects.models import Agency, DepartmentGoals, Indicator, Project, SheetState, TargetSheet
from workflow.models import Action, Event


def run(*args):
    out = io.StringIO()
    call_command("import_targets", *args, stdout=out)
    return out.getvalue()


def table_counts():
    return (Agency.objects.count(), Project.objects.count(), TargetSheet.objects.count(), Indicator.objects.count())


def test_seed_imports_the_agency_nine_sheets_and_goals_in_draft(db, seed_docx):
    TargetSheet.objects.all().delete()
    DepartmentGoals.objects.all().delete()
    output = run(str(seed_docx), "--year", "2024")
    assert "新建 9 张" in output and "部门整体绩效目标已更新" in output
    sheets = TargetSheet.objects.filter(fiscal_year__year=2024).order_by("position")
    assert [s.project.code[-4:] for s in sheets] == ["041X", "042H", "037P", "0364", "040A", "038B", "035G", "034W", "039Y"]
    assert {s.state for s in sheets} == {SheetState.DRAFT}
    first = sheets[0]
    assert (first.agency.code, first.agency.name) == ("483001", "乐亭县行政审批局本级")
    assert (first.budget_total, first.fiscal_funds, first.other_funds) == (Decimal("8.00"), Decimal("8.00"), Decimal("0.00"))
    assert [(p.checkpoint.label, p.cumulative_percent) for p in first.plan.all()] == [
        ("3月底", 25), ("6月底", 50), ("10月底", 75), ("12月底", 100)
    ]
    cost = first.indicators.get(subcategory="成本指标")
    assert (cost.target_value, cost.value_operator, cost.value_number, cost.value_unit) == ("≤8万元", "<=", 8, "万元")
    goals = DepartmentGoals.objects.get(agency__code="483001", fiscal_year__year=2024)
    assert goals.overall.startswith("（一）持续推进企业开办提质增效")


def test_reimport_updates_drafts_in_place(demo, seed_docx):
    sheet = TargetSheet.objects.get(position=3)
    sheet.purpose = "临时修改"
    sheet.save()
    before = table_counts()
    output = run(str(seed_docx), "--year", "2024")
    assert "更新 1 张，拒绝 0 张，内容相同未改动 8 张" in output
    sheet.refresh_from_db()
    assert sheet.purpose == "保证县内招投标正常运行"
    assert table_counts() == before


def test_the_command_records_the_import_in_each_sheets_history_with_the_previous_content(demo, seed_docx):
    sheet = TargetSheet.objects.get(position=3)
    sheet.purpose = "临时修改"
    sheet.save()
    run(str(seed_docx), "--year", "2024")
    events = Event.objects.filter(action=Action.IMPORT)
    assert events.count() == 1  # the drafts that held the file already are left alone
    assert {(e.actor_id, e.comment) for e in events} == {(None, f"导入文件“{seed_docx.name}”")}
    event = events.get(sheet=sheet)
    assert event.snapshot["purpose"] == "临时修改" and (event.from_state, event.to_state) == ("draft", "draft")


def test_dry_run_prints_the_preview_and_writes_nothing(demo, seed_docx, tmp_path):
    import docx

    from django.contrib.auth import get_user_model

    from workflow.services import document_submit

    TargetSheet.objects.get(position=9).delete()
    document_submit(document=TargetSheet.objects.get(position=1), user=get_user_model().objects.get(username="staff_ggzy"))
    document = docx.Document(str(seed_docx))
    document.tables[5].cell(1, 4).text = "≥200件"  # sheet 3's 数量指标 (its indicator table is the document's 6th)
    changed = tmp_path / "changed.docx"
    document.save(str(changed))
    sheet = TargetSheet.objects.get(position=3)
    versions = list(TargetSheet.objects.order_by("pk").values_list("pk", "version"))
    before = (table_counts(), Event.objects.count(), sheet.indicators.get(subcategory="数量指标").target_value)

    output = run(str(changed), "--year", "2024", "--dry-run")

    assert "导入预览（未做任何修改）" in output
    first, second = TargetSheet.objects.get(position=1), TargetSheet.objects.get(position=2)
    assert f"拒绝  {first.project.code}  “{first.display_title}”处于“科室审核”状态，不能用导入覆盖。" in output
    assert f"更新  {sheet.project.code}  公共资源交易中心经费（1 处修改）" in output
    assert f"相同  {second.project.code}  {second.display_title}（内容相同，不会改动）" in output
    assert "新建  " in output and output.count("新建  ") == 1
    assert "新建 1 张，更新 1 张，拒绝 1 张，内容相同未改动 6 张" in output and "未做任何修改" in output
    assert (table_counts(), Event.objects.count(), sheet.indicators.get(subcategory="数量指标").target_value) == before
    assert list(TargetSheet.objects.order_by("pk").values_list("pk", "version")) == versions
    assert not TargetSheet.objects.filter(position=9).exists()


def test_dry_run_of_a_bad_file_reports_it(demo, tmp_path):
    bad = tmp_path / "notes.docx"
    bad.write_text("这不是 Word 文件")
    with pytest.raises(CommandError, match="notes.docx"):
        run(str(bad), "--year", "2024", "--dry-run")


def test_reimport_refuses_a_sheet_that_has_left_draft(demo, seed_docx):
    from django.contrib.auth import get_user_model

    from workflow.services import document_submit

    sheet = TargetSheet.objects.get(position=3)
    document_submit(document=sheet, user=get_user_model().objects.get(username="staff_ggzy"))
    sheet.refresh_from_db()
    sheet.indicators.filter(subcategory="数量指标").update(target_value="≥999件")
    output = run(str(seed_docx), "--year", "2024")
    assert "拒绝 1 张" in output and "科室审核" in output
    assert sheet.indicators.get(subcategory="数量指标").target_value == "≥999件"


def _bad_files(tmp_path, seed_docx):
    text = tmp_path / "notes.docx"
    text.write_text("这不是 Word 文件")
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(seed_docx.read_bytes()[:20000])
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(120):
                member.write(chunk)
    return {"text": text, "empty": empty, "truncated": truncated, "bomb": bomb}


@pytest.mark.parametrize("kind, message", [
    ("text", "不是有效的 Word"),
    ("empty", "文件为空"),
    ("truncated", "损坏"),
    ("bomb", "压缩炸弹"),
])
def test_bad_files_fail_with_a_chinese_message_naming_the_file_and_change_nothing(demo, tmp_path, seed_docx, kind, message):
    path = _bad_files(tmp_path, seed_docx)[kind]
    before = table_counts()
    with pytest.raises(CommandError) as error:
        run(str(path), "--year", "2024")
    assert "未做任何修改" in str(error.value)
    assert message in str(error.value)
    assert path.name in str(error.value)
    assert table_counts() == before


def test_a_table_it_cannot_read_rolls_back_the_whole_file(demo, tmp_path, seed_docx):
    """Table 9 (sheet 5's header) gets an amount that is not a number: sheets 1–4 must not be updated either."""
    import docx

    document = docx.Document(str(seed_docx))
    header = document.tables[8]
    header.cell(2, 2).text = "八万"
    broken = tmp_path / "broken.docx"
    document.save(str(broken))
    TargetSheet.objects.filter(position=1).update(purpose="未导入前")
    with pytest.raises(CommandError) as error:
        run(str(broken), "--year", "2024")
    assert "第9个表格" in str(error.value) and "预算数" in str(error.value)
    assert TargetSheet.objects.get(position=1).purpose == "未导入前"


def test_year_out_of_range_is_refused(db, seed_docx):
    with pytest.raises(CommandError, match="year"):
        run(str(seed_docx), "--year", "99999")


def test_missing_file_is_reported(db):
    with pytest.raises(CommandError, match="找不到文件"):
        run("/nonexistent/targets.docx", "--year", "2024")
