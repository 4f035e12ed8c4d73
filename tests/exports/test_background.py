"""Large exports run in the background on a real Celery worker (Redis broker): the browser request only starts
the job, the progress page's JSON moves as the worker writes progress, the owner downloads the file when it is
done and nobody else can see or download it."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from exports import services
from exports.models import ExportJob, ExportStatus
from projects.models import Agency
from tests.exports.conftest import bulk_sheets
from tests.support import wait_for

SHEETS = 1000


@pytest.fixture
def export_queue(broker, settings):
    settings.EXPORT_QUEUE = broker
    return broker


@pytest.fixture
def county(people):
    """1,000 sheets of the demo agency's 公共资源交易中心, half published, half waiting at 财政审核."""
    agency = Agency.objects.get(code="483001")
    section = agency.sections.get(name="公共资源交易中心")
    bulk_sheets(agency, section, SHEETS, year=2025)
    return agency


@pytest.fixture
def recorded_progress(monkeypatch):
    """Every progress write of the worker (it runs in a thread of this process), as (done, total in the DB)."""
    calls = []
    original = services.job_progress_set

    def record(*, job_id, done, **kwargs):
        written = original(job_id=job_id, done=done, **kwargs)
        calls.append((done, ExportJob.objects.values_list("done", flat=True).get(pk=job_id)))
        return written

    monkeypatch.setattr(services, "job_progress_set", record)
    return calls


def status(client, job) -> dict:
    response = client.get(reverse("export_status", args=[job.pk]))
    assert response.status_code == 200
    return response.json()


@pytest.mark.worker
def test_a_1000_sheet_word_package_is_built_in_the_background(client, people, county, export_queue, run_worker, recorded_progress):
    client.force_login(people.finance)
    # the package link of 1,000 sheets does not build the file: it offers to start a background export
    page = client.get(reverse("package_download", args=["483001", 2025]))
    assert page.status_code == 200 and "开始后台导出" in page.content.decode()
    started = client.post(reverse("export_start"), {"kind": "docx", "agency": "483001", "year": "2025"})
    job = ExportJob.objects.get(owner=people.finance)
    assert started.status_code == 302 and started["Location"] == reverse("export_job", args=[job.pk])
    assert (job.status, job.total, job.done) == (ExportStatus.PENDING, SHEETS, 0)  # queued: no worker yet
    progress_page = client.get(started["Location"]).content.decode()
    assert 'data-status-url="/exports/%d/status.json"' % job.pk in progress_page and "js/export_job.js" in progress_page
    assert status(client, job)["download_url"] is None

    with run_worker():
        final = wait_for(lambda: (s := status(client, job))["status"] in ("done", "failed") and s, timeout=120)
    assert final["status"] == "done", final
    assert (final["done"], final["total"], final["percent"]) == (SHEETS, SHEETS, 100)
    # the worker wrote its progress as it went, every 100 sheets read, each visible at once
    dones = [done for done, _ in recorded_progress]
    assert dones[:3] == [100, 200, 300] and dones[-1] == SHEETS
    assert all(done == seen for done, seen in recorded_progress)

    response = client.get(final["download_url"])
    assert response.status_code == 200
    assert "483001" in response["Content-Disposition"] and ".docx" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    body = zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode()
    assert body.count("<w:tbl>") == SHEETS  # one table per sheet
    assert body.count("草稿 — 未审定") == SHEETS // 2  # the half waiting at 财政审核

    # nobody else sees or downloads it: another reviewer, another agency, anonymous
    for other in (people.finance2, people.other_finance, people.leader):
        client.force_login(other)
        assert client.get(reverse("export_status", args=[job.pk])).status_code == 404
        assert client.get(reverse("export_download", args=[job.pk])).status_code == 404
        assert client.get(reverse("export_job", args=[job.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("export_download", args=[job.pk])).status_code == 302
    api = APIClient()
    api.force_authenticate(people.finance2)
    assert api.get(f"/api/exports/{job.pk}/download").status_code == 404


@pytest.mark.worker
def test_a_1000_sheet_excel_summary_from_the_api_in_the_background(people, county, export_queue, run_worker):
    api = APIClient()
    api.force_authenticate(people.finance)
    refused = api.get("/api/sheets/export.xlsx", {"year": 2025})
    assert refused.status_code == 409 and "POST" in refused.json()["detail"]
    started = api.post("/api/sheets/export.xlsx?year=2025")
    assert started.status_code == 202, started.content
    job = ExportJob.objects.get(pk=started.json()["id"])
    assert started["Location"] == f"/api/exports/{job.pk}/" and job.total == SHEETS
    with run_worker():
        final = wait_for(lambda: (s := api.get(f"/api/exports/{job.pk}/").json())["status"] in ("done", "failed") and s, timeout=120)
    assert final["status"] == "done", final
    response = api.get(final["download_url"])
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    summary = list(book["项目汇总"].iter_rows(values_only=True))
    assert len(summary) == 1 + SHEETS + 1  # header, one row per sheet, 合计
    assert summary[-1][5] == f"合计（{SHEETS} 个项目）"
    assert sum(row[8] for row in summary[1:-1]) == pytest.approx(sum(n + 0.25 for n in range(1, SHEETS + 1)))
    assert sum(1 for _ in book["指标明细"].iter_rows()) == 1 + 8 * SHEETS
    other = APIClient()
    other.force_authenticate(people.other_finance)
    assert other.get(f"/api/exports/{job.pk}/").status_code == 404


def test_expired_jobs_are_deleted_and_no_longer_downloadable(client, people, export_queue):
    stored = services.exports_root() / "xlsx-1-0123456789abcdef.xlsx"
    stored.write_bytes(b"x")
    job = ExportJob.objects.create(
        owner=people.finance, kind="xlsx", status=ExportStatus.DONE, path=stored.name, size=1, file_name="a.xlsx",
        expires=timezone.now() - datetime.timedelta(minutes=1),
    )
    client.force_login(people.finance)
    response = client.get(reverse("export_download", args=[job.pk]))
    assert response.status_code == 404 and "已过期" in response.content.decode()
    assert services.export_jobs_expire() == 1
    assert not ExportJob.objects.filter(pk=job.pk).exists()
    assert not stored.exists()  # the file went with its job


def test_a_small_package_still_downloads_at_once(client, people):
    client.force_login(people.finance)
    response = client.get(reverse("package_download", args=["483001", 2024]))
    assert response.status_code == 200 and response["Content-Type"].endswith("wordprocessingml.document")
    assert not ExportJob.objects.exists()


def test_starting_a_package_of_another_agency_is_refused(client, people):
    client.force_login(people.other_finance)
    response = client.post(reverse("export_start"), {"kind": "docx", "agency": "483001", "year": "2024"}, follow=True)
    assert "无权下载" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_an_empty_export_is_refused_and_nothing_is_queued(client, people):
    client.force_login(people.finance)  # finance sees none of the demo's drafts
    response = client.post(reverse("export_start"), {"kind": "xlsx", "year": "2024", "state": "draft"}, follow=True)
    assert "没有符合条件的绩效目标表" in response.content.decode()
    assert not ExportJob.objects.exists()
