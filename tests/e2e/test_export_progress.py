"""A finance reviewer exports a large Excel summary from the sheet list: the link keeps the filters, the request
only starts the job, the progress page polls until the file is ready and then offers the download.

(The background threshold is lowered to 5 sheets so the demo's nine are a "large" set; the job runs when the
test runs it, after the progress page has started polling.)"""

import io

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook
from playwright.sync_api import expect

from exports import services
from exports.models import ExportJob
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def held_jobs(settings, monkeypatch):
    """Large from 5 sheets on; queued jobs wait for the test instead of a worker."""
    settings.EXPORT_BACKGROUND_FROM = 5
    queued = []
    monkeypatch.setattr(services, "_enqueue", queued.append)
    return queued


def test_a_large_excel_export_runs_in_the_background_with_progress(page, live_server, shot, held_jobs, tmp_path):
    sign_in(page, live_server, "leader")
    page.goto(f"{live_server.url}/sheets/?year=2024&q=%E5%85%AC%E5%85%B1")  # 公共: the filter the export keeps
    link = page.get_by_test_id("export-xlsx")
    expect(link).to_have_attribute("href", "/sheets/export.xlsx?year=2024&q=%E5%85%AC%E5%85%B1")
    page.goto(f"{live_server.url}/sheets/?year=2024")
    shot(page, "01-sheet-list")
    page.get_by_test_id("export-xlsx").click()
    expect(page.get_by_test_id("export-start")).to_be_visible()
    shot(page, "02-start")
    page.get_by_test_id("export-start").click()

    expect(page.get_by_test_id("export-job")).to_contain_text("排队中")
    expect(page.get_by_test_id("export-download")).to_be_hidden()
    job = ExportJob.objects.get()
    assert held_jobs == [job.pk] and job.total == 9
    shot(page, "03-queued")

    services.export_job_run(job_id=job.pk)  # the worker's part
    download = page.get_by_test_id("export-download")
    expect(download).to_be_visible()
    expect(page.get_by_test_id("export-job")).to_contain_text("已完成")
    assert page.get_by_test_id("export-progress").evaluate("bar => bar.value") == 100
    shot(page, "04-done")
    with page.expect_download() as info:
        download.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".xlsx"
    rows = list(load_workbook(io.BytesIO(path.read_bytes()))["项目汇总"].iter_rows(values_only=True))
    assert len(rows) == 1 + 9 + 1


def test_the_progress_page_on_a_phone(phone, live_server, shot, held_jobs):
    sign_in(phone, live_server, "leader")
    phone.goto(f"{live_server.url}/sheets/")
    expect(phone.get_by_test_id("export-xlsx")).to_be_visible()
    assert horizontal_overflow(phone) <= 0
    shot(phone, "01-sheet-list")
    # the leader's package of the demo (nine sheets) is large from 5 on: start it as the button would
    job = services.export_job_start(
        user=get_user_model().objects.get(username="leader"), kind="docx", filters={"agency": "483001", "year": 2024}
    )
    phone.goto(f"{live_server.url}/exports/{job.pk}/")
    expect(phone.get_by_test_id("export-job")).to_contain_text("排队中")
    services.export_job_run(job_id=job.pk)
    expect(phone.get_by_test_id("export-download")).to_be_visible()
    assert horizontal_overflow(phone) <= 0, "the progress page scrolls sideways on a phone"
    shot(phone, "02-done")


@pytest.mark.parametrize("device", ["page", "phone"])
def test_a_job_that_fails_while_watched_shows_why_and_its_owner_retries_it(request, device, live_server, shot, held_jobs, settings):
    import datetime

    from django.utils import timezone

    browser_page = request.getfixturevalue(device)
    sign_in(browser_page, live_server, "leader")
    job = services.export_job_start(
        user=get_user_model().objects.get(username="leader"), kind="docx", filters={"agency": "483001", "year": 2024}
    )
    browser_page.goto(f"{live_server.url}/exports/{job.pk}/")
    box = browser_page.get_by_test_id("export-job")
    expect(box).to_contain_text("排队中")
    expect(browser_page.get_by_test_id("export-retry")).to_be_hidden()
    # its task was lost and queueing it again never got it started: the sweep gives up with a reason
    settings.EXPORT_MAX_ATTEMPTS = 1
    ExportJob.objects.filter(pk=job.pk).update(queued=timezone.now() - datetime.timedelta(hours=1))
    services.export_jobs_sweep()
    expect(box).to_contain_text("失败")
    expect(box).to_contain_text("导出排队 60 分钟仍未开始")
    retry = browser_page.get_by_test_id("export-retry")
    expect(retry).to_be_visible()
    assert horizontal_overflow(browser_page) <= 0
    shot(browser_page, f"05-failed-{device}")
    retry.get_by_role("button", name="重试").click()
    expect(box).to_contain_text("排队中")
    expect(browser_page.get_by_text("已重新开始导出")).to_be_visible()
    expect(browser_page.get_by_test_id("export-retry")).to_be_hidden()
    assert held_jobs == [job.pk, job.pk]
    services.export_job_run(job_id=job.pk)
    expect(browser_page.get_by_test_id("export-download")).to_be_visible()
    expect(box).not_to_contain_text("仍未开始")
    shot(browser_page, f"06-retried-{device}")
