"""Exports of any size: a table past Excel's row limit goes on in numbered worksheets, split between units (a unit's
rows stay in one worksheet unless it alone is larger than one), with a 目录 the workbook opens on and a 合计 over
every part; export files live in EXPORTS_ROOT, are streamed to their owner only, and go with their job."""

from __future__ import annotations

import datetime
import io
import os
import re
import zipfile
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from exports import services
from exports.models import ExportJob, ExportStatus
from projects.models import Agency, Indicator, TargetSheet
from tests.exports.conftest import bulk_sheets

pytestmark = pytest.mark.django_db

ALL_YEARS = {"year": None, "section": None, "state": None, "agency": None, "search": None}


@pytest.fixture
def three_years(people):
    """The demo agency's 2024 sheets and 12 sheets of 2025 and of 2026 (8 indicators each): three units of the list
    (a unit is an agency's year)."""
    agency = Agency.objects.get(code="483001")
    section = agency.sections.get(name="公共资源交易中心")
    bulk_sheets(agency, section, 12, year=2025, prefix="Y25")
    bulk_sheets(agency, section, 12, year=2026, prefix="Y26")
    return agency


def export(user, path, *, row_limit: int) -> int:
    total = TargetSheet.objects.count()
    return services.xlsx_write(user=user, filters=ALL_YEARS, target=str(path), expected_sheets=total, row_limit=row_limit)


def units_of(worksheet) -> list[tuple]:
    """(year, agency code) of each data row."""
    return [(row[0], row[1]) for row in worksheet.iter_rows(min_row=2, values_only=True) if row[0] is not None]


def test_indicators_past_the_row_limit_go_on_in_a_second_worksheet_between_two_units(people, three_years, tmp_path):
    path = tmp_path / "summary.xlsx"
    count = export(people.finance, path, row_limit=150)  # 149 data rows a worksheet: 96 a unit of 12 sheets
    book = load_workbook(path)
    assert book.sheetnames[0] == "目录" and book.active.title == "目录"
    parts = [name for name in book.sheetnames if name.startswith("指标明细")]
    assert parts == ["指标明细", "指标明细2"]
    seen, where = [], defaultdict(set)
    for name in parts:
        worksheet = book[name]
        rows = units_of(worksheet)
        assert 0 < len(rows) <= 149
        assert worksheet.freeze_panes == "A2" and worksheet.auto_filter.ref == f"A1:P{len(rows) + 1}"
        for unit in rows:
            where[unit].add(name)
        seen += rows
    assert all(len(names) == 1 for names in where.values()), where  # no unit torn between two worksheets
    visible = TargetSheet.objects.filter(pk__in=services.selectors.summary_sheets(people.finance, ALL_YEARS).values("pk"))
    assert len(seen) == Indicator.objects.filter(sheet__in=visible).count() and count == visible.count()
    # 项目汇总 fits: one worksheet, its 合计 as for a small export
    summary = list(book["项目汇总"].iter_rows(values_only=True))
    assert summary[-1][5] == f"合计（{count} 个项目）" and summary[-1][8] == f"=SUBTOTAL(109,I2:I{count + 1})"
    # 目录: each worksheet with its rows, first and last unit, and a link to it
    index = list(book["目录"].iter_rows(values_only=True))
    assert index[0][:3] == ("工作表", "内容", "数据行数")
    listed = {row[0]: row for row in index[1:4]}
    assert set(listed) == {"项目汇总", "指标明细", "指标明细2"}
    assert [listed[name][2] for name in parts] == [len(units_of(book[name])) for name in parts]
    first_of_second = units_of(book["指标明细2"])[0]
    assert listed["指标明细2"][3].startswith(f"{first_of_second[0]} {first_of_second[1]}")
    assert book["目录"]["A3"].hyperlink.location == "'指标明细'!A1"
    assert any("同一单位的行都在同一个工作表里" in str(row[0]) for row in index)


def test_a_unit_larger_than_a_worksheet_goes_on_at_the_limit_and_the_total_sums_every_part(people, three_years, tmp_path):
    path = tmp_path / "summary.xlsx"
    count = export(people.finance, path, row_limit=20)  # 项目汇总: 18 rows a worksheet, 指标明细: 19
    formulas, cached = load_workbook(path), load_workbook(path, data_only=True)
    summaries = [name for name in formulas.sheetnames if name.startswith("项目汇总")]
    details = [name for name in formulas.sheetnames if name.startswith("指标明细")]
    assert summaries[:2] == ["项目汇总", "项目汇总2"]
    assert all(0 < len(units_of(formulas[name])) <= 19 for name in details)
    assert sum(len(units_of(formulas[name])) for name in details) == 8 * 24 + Indicator.objects.filter(
        sheet__fiscal_year__year=2024, sheet__in=services.selectors.summary_sheets(people.finance, ALL_YEARS).values("pk")
    ).count()
    # 合计 on the last part: SUBTOTAL over every part's rows, with the sum as its cached value
    last = formulas[summaries[-1]]
    total_row = last.max_row
    formula = last[f"I{total_row}"].value
    for name in summaries[:-1]:
        assert f"'{name}'!I2:I{formulas[name].max_row}" in formula
    assert formula.startswith("=SUBTOTAL(109,") and f",I2:I{total_row - 1})" in formula
    assert last[f"F{total_row}"].value == f"合计（{count} 个项目）"
    budgets = sum(Decimal(str(row[8])) for name in summaries for row in cached[name].iter_rows(min_row=2, values_only=True) if row[0])
    assert Decimal(str(cached[summaries[-1]][f"I{total_row}"].value)) == budgets
    assert budgets == TargetSheet.objects.filter(pk__in=services.selectors.summary_sheets(people.finance, ALL_YEARS).values("pk")).aggregate(s=Sum("budget_total"))["s"]


def test_a_small_export_has_no_index(people, three_years, tmp_path):
    path = tmp_path / "summary.xlsx"
    export(people.finance, path, row_limit=services.ROW_LIMIT)
    assert load_workbook(path, read_only=True).sheetnames == ["项目汇总", "指标明细"]


# ---------------------------------------------------------------- text that looks like the file's own XML

INJECTED = '<r><t>x</t></r></is></c><c r="Z2"><f>HYPERLINK("http://evil.example","看")</f></c><c><is><r>'


def test_a_text_that_reads_like_rich_text_xml_is_written_as_text(client, people, sheet):
    indicator = sheet.indicators.order_by("order", "id").first()
    indicator.name = INJECTED
    indicator.save()
    client.force_login(people.staff_ggzy)
    response = client.get(reverse("sheet_list_xlsx"), {"year": 2024})
    content = b"".join(response.streaming_content)
    details = load_workbook(io.BytesIO(content))["指标明细"]
    cells = [cell for row in details.iter_rows(min_row=2) for cell in row if cell.value == INJECTED]
    assert len(cells) == 1 and cells[0].data_type == "s" and cells[0].column_letter == "I"
    assert details["Z2"].value is None
    xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet2.xml").decode()
    assert "<f>" not in xml


# ---------------------------------------------------------------- files


def finished_job(user) -> ExportJob:
    now = timezone.now()
    job = ExportJob.objects.create(
        owner=user, kind="xlsx", filters={"year": 2024}, total=4, attempts=1, queued=now, expires=now + datetime.timedelta(hours=1)
    )
    services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.error
    return job


def test_the_file_is_kept_in_exports_root_streamed_to_its_owner_and_deleted_with_its_job(client, people, exports_root, django_capture_on_commit_callbacks):
    job = finished_job(people.staff_ggzy)
    path = services.job_file(job)
    assert path.parent == exports_root and path.stat().st_size == job.size > 0
    assert [entry.name for entry in exports_root.iterdir()] == [path.name]  # no temporary file left behind
    client.force_login(people.staff_ggzy)
    status = client.get(reverse("export_status", args=[job.pk])).json()
    assert status["size"] == job.size and status["size_label"]
    response = client.get(reverse("export_download", args=[job.pk]))
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content) == path.read_bytes()
    client.force_login(people.head_ggzy)
    assert client.get(reverse("export_download", args=[job.pk])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        ExportJob.objects.filter(pk=job.pk).update(expires=timezone.now() - datetime.timedelta(seconds=1))
        assert services.export_jobs_expire() == 1
    assert not path.exists()


def test_a_finished_job_whose_file_is_gone_says_so(client, people):
    job = ExportJob.objects.create(
        owner=people.staff_ggzy, kind="xlsx", status=ExportStatus.DONE, file_name="a.xlsx",
        expires=timezone.now() + datetime.timedelta(hours=1),
    )  # as the migration leaves a job whose file was kept in its row: expired, or here without a file
    client.force_login(people.staff_ggzy)
    response = client.get(reverse("export_download", args=[job.pk]))
    assert response.status_code == 404 and "已不存在，请重新导出" in response.content.decode()


def test_the_sweep_removes_files_and_run_directories_no_job_holds(people, exports_root):
    job = finished_job(people.staff_ggzy)
    old = (timezone.now() - datetime.timedelta(hours=2)).timestamp()
    orphan = exports_root / "xlsx-999999-00ff.xlsx"
    orphan.write_bytes(b"x")
    stopped = exports_root / ".run-999999-abcdef"
    stopped.mkdir()
    (stopped / "tmp123").write_text("rows")
    running = ExportJob.objects.create(
        owner=people.staff_ggzy, kind="xlsx", status=ExportStatus.RUNNING, started=timezone.now(), heartbeat=timezone.now(),
        expires=timezone.now() + datetime.timedelta(hours=1),
    )
    busy = exports_root / f".run-{running.pk}-abcdef"
    busy.mkdir()
    fresh = exports_root / "xlsx-999998-00ff.xlsx"
    fresh.write_bytes(b"x")  # being written: too young to be an orphan
    for entry in (orphan, stopped, busy, services.job_file(job)):
        os.utime(entry, (old, old))
    assert services.export_files_sweep() == 2
    assert sorted(entry.name for entry in exports_root.iterdir()) == sorted([busy.name, fresh.name, services.job_file(job).name])


def test_a_job_path_never_leaves_exports_root(people):
    job = ExportJob(owner=people.staff_ggzy, kind="xlsx", path="../../etc/passwd")
    assert services.job_file(job) is None
    assert re.fullmatch(r"xlsx-\d+-[0-9a-f]{16}\.xlsx", services.job_file(finished_job(people.staff_ggzy)).name)
