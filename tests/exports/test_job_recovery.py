"""No background export waits for ever: a broker that is down fails the job with a Chinese reason (never a 500), the
sweep queues again a job whose task was lost or whose worker stopped and fails it with a reason after a few
attempts, the task takes over a job whose worker stopped, and the owner (only the owner) retries a failed job.
A person has at most EXPORT_MAX_ACTIVE_PER_USER exports queued or running at once."""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from config.celery import app as celery_app
from exports import services
from exports.models import ExportJob, ExportStatus
from tests.exports.test_background import export_queue  # noqa: F401  (fixture)
from tests.support import celery_setting, free_port, use_broker, wait_for
from tests.refusals import refused

FILTERS = {"year": 2024, "section": None, "state": None, "agency": None, "search": None}


@pytest.fixture
def dead_broker(transactional_db, settings):
    """Tasks go to a broker that is not there (nothing listens on the port), not run in-process."""
    saved = celery_setting("broker_url"), celery_setting("task_always_eager")
    celery_setting("task_always_eager", False)
    use_broker(f"redis://127.0.0.1:{free_port()}/0")
    yield
    celery_setting("task_always_eager", saved[1])
    use_broker(saved[0])


def job_of(user, *, status=ExportStatus.PENDING, age=datetime.timedelta(0), attempts=1, **extra) -> ExportJob:
    """A job of ``user``'s 2024 sheet list, queued (and, when running, last making progress) ``age`` ago."""
    then = timezone.now() - age
    job = ExportJob.objects.create(
        owner=user, kind="xlsx", filters=FILTERS, status=status, total=4, attempts=attempts, queued=then,
        started=then if status == ExportStatus.RUNNING else None, heartbeat=then if status == ExportStatus.RUNNING else None,
        expires=timezone.now() + datetime.timedelta(hours=24), **extra,
    )
    ExportJob.objects.filter(pk=job.pk).update(created=then)
    job.created = then
    return job


def downloaded_rows(client, job) -> list:
    response = client.get(reverse("export_download", args=[job.pk]))
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(b"".join(response.streaming_content)))["项目汇总"].iter_rows(values_only=True))


# ---------------------------------------------------------------- the broker is down


def test_an_export_started_while_the_broker_is_down_fails_with_a_reason_instead_of_a_500(client, people, dead_broker):
    client.force_login(people.staff_ggzy)
    response = client.post(reverse("export_start"), {"kind": "xlsx", "year": "2024"})
    job = ExportJob.objects.get(owner=people.staff_ggzy)
    assert response.status_code == 302 and response["Location"] == reverse("export_job", args=[job.pk])
    assert job.status == ExportStatus.FAILED and "后台任务队列暂时不可用" in job.error
    page = client.get(response["Location"]).content.decode()
    assert "后台任务队列暂时不可用" in page
    assert f'action="{reverse("export_retry", args=[job.pk])}" class="export-retry" data-testid="export-retry" >' in page
    # the API says the same: 202 with the failed job, its reason and where to retry it
    api = APIClient()
    api.force_authenticate(people.staff_ggzy)
    started = api.post("/api/sheets/export.xlsx?year=2024")
    assert started.status_code == 202
    body = started.json()
    assert (body["status"], body["can_retry"], body["retry_url"]) == ("failed", True, f"/api/exports/{body['id']}/retry/")
    assert "后台任务队列暂时不可用" in body["error"]


# ---------------------------------------------------------------- lost tasks and stopped workers


def test_the_sweep_runs_again_a_job_whose_worker_stopped_and_one_whose_task_was_lost(client, people, export_queue, run_worker):
    stopped = job_of(people.staff_ggzy, status=ExportStatus.RUNNING, age=datetime.timedelta(hours=1))
    lost = job_of(people.staff_ggzy, age=datetime.timedelta(hours=1))
    working = job_of(people.head_ggzy, status=ExportStatus.RUNNING, age=datetime.timedelta(seconds=30))
    # what beat sends every EXPORT_SWEEP_SECONDS, to a real worker
    [task] = [entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values() if entry["task"].startswith("exports.tasks.sweep")]
    with run_worker():
        celery_app.send_task(task, queue=export_queue)
        wait_for(lambda: ExportJob.objects.filter(pk__in=[stopped.pk, lost.pk], status=ExportStatus.DONE).count() == 2, timeout=60)
    client.force_login(people.staff_ggzy)
    for job in (stopped, lost):
        job.refresh_from_db()
        assert (job.attempts, job.error) == (2, "")
        rows = downloaded_rows(client, job)
        assert rows[-1][5] == f"合计（{len(rows) - 2} 个项目）" and len(rows) > 2
    working.refresh_from_db()
    assert (working.status, working.attempts) == (ExportStatus.RUNNING, 1)  # it makes progress: left alone


def test_a_job_that_keeps_stopping_or_never_starts_fails_with_a_reason(client, people, settings):
    settings.EXPORT_MAX_ATTEMPTS = 3
    stopped = job_of(people.staff_ggzy, status=ExportStatus.RUNNING, age=datetime.timedelta(hours=1), attempts=3)
    never = job_of(people.staff_ggzy, age=datetime.timedelta(minutes=40), attempts=3)
    fresh = job_of(people.staff_ggzy, age=datetime.timedelta(minutes=1))
    result = services.export_jobs_sweep()
    assert sorted(result.failed) == sorted([stopped.pk, never.pk]) and result.requeued == []
    stopped.refresh_from_db(), never.refresh_from_db(), fresh.refresh_from_db()
    assert stopped.status == ExportStatus.FAILED and "生成过程多次中断" in stopped.error
    assert never.status == ExportStatus.FAILED and "导出排队 40 分钟仍未开始" in never.error
    assert fresh.status == ExportStatus.PENDING
    client.force_login(people.staff_ggzy)
    status = client.get(reverse("export_status", args=[stopped.pk])).json()
    assert (status["status_label"], status["can_retry"]) == ("失败", True) and "请点“重试”" in status["error"]


def test_the_task_takes_over_a_job_whose_worker_stopped_but_not_a_working_one(people):
    working = job_of(people.staff_ggzy, status=ExportStatus.RUNNING, age=datetime.timedelta(minutes=1))
    services.export_job_run(job_id=working.pk)  # a redelivered message while its worker is busy with it
    working.refresh_from_db()
    assert (working.status, working.done) == (ExportStatus.RUNNING, 0)
    stopped = job_of(people.staff_ggzy, status=ExportStatus.RUNNING, age=datetime.timedelta(hours=1))
    services.export_job_run(job_id=stopped.pk)  # the message came back after its worker was killed
    stopped.refresh_from_db()
    assert stopped.status == ExportStatus.DONE and stopped.done == stopped.total == 4
    assert services.job_file(stopped).stat().st_size == stopped.size > 0


def test_a_run_whose_job_was_taken_over_writes_nothing(people, monkeypatch):
    job = job_of(people.staff_ggzy)
    original = services.xlsx_write

    def taken_over_meanwhile(**kwargs):
        # the sweep took this worker for stopped and another worker claimed the job
        ExportJob.objects.filter(pk=job.pk).update(started=timezone.now() + datetime.timedelta(seconds=1))
        return original(**kwargs)

    monkeypatch.setattr(services, "xlsx_write", taken_over_meanwhile)
    services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.path, job.size, job.done) == (ExportStatus.RUNNING, "", None, 0)  # the other run's to finish
    assert list(services.exports_root().iterdir()) == []  # this run's file and temporary files are gone


# ---------------------------------------------------------------- retry


def test_the_owner_retries_a_failed_job_and_nobody_else_can(client, people, export_queue, run_worker):
    job = job_of(people.staff_ggzy, status=ExportStatus.FAILED, error=services.QUEUE_DOWN_MESSAGE, attempts=3)
    for other in (people.head_ggzy, people.other_staff):
        client.force_login(other)
        assert client.post(reverse("export_retry", args=[job.pk])).status_code == 404
        api = APIClient()
        api.force_authenticate(other)
        assert api.post(f"/api/exports/{job.pk}/retry/").status_code == 404
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ExportStatus.FAILED, 3)
    client.logout()
    assert client.post(reverse("export_retry", args=[job.pk])).status_code == 302  # to the sign-in page
    client.force_login(people.staff_ggzy)
    with run_worker():
        response = client.post(reverse("export_retry", args=[job.pk]), follow=True)
        assert "已重新开始导出" in response.content.decode()
        wait_for(lambda: ExportJob.objects.get(pk=job.pk).status == ExportStatus.DONE, timeout=60)
    job.refresh_from_db()
    assert (job.error, job.attempts) == ("", 1)
    assert len(downloaded_rows(client, job)) > 2
    # a job that did not fail is not retried
    response = client.post(reverse("export_retry", args=[job.pk]), follow=True)
    assert "只有失败的任务可以重试" in response.content.decode()


# ---------------------------------------------------------------- at most a few at once


def test_a_person_has_at_most_a_few_exports_queued_or_running(client, people, settings):
    settings.EXPORT_MAX_ACTIVE_PER_USER = 3
    job_of(people.staff_ggzy), job_of(people.staff_ggzy), job_of(people.staff_ggzy, status=ExportStatus.RUNNING)
    job_of(people.staff_ggzy, status=ExportStatus.DONE), job_of(people.staff_ggzy, status=ExportStatus.FAILED)
    failed = ExportJob.objects.get(owner=people.staff_ggzy, status=ExportStatus.FAILED)
    before = ExportJob.objects.count()
    client.force_login(people.staff_ggzy)
    response = client.post(reverse("export_start"), {"kind": "xlsx", "year": "2024"}, follow=True)
    assert "您已有 3 个导出任务在排队或生成中" in response.content.decode()
    api = APIClient()
    api.force_authenticate(people.staff_ggzy)
    refused_start = api.post("/api/sheets/export.xlsx?year=2024")
    assert refused_start.status_code == 409 and refused_start.json()["code"] == "export_limit"
    with refused(409, match="请等其中一个完成"):
        services.export_job_retry(user=people.staff_ggzy, job_id=failed.pk)
    assert ExportJob.objects.count() == before
    assert ExportJob.objects.get(pk=failed.pk).status == ExportStatus.FAILED
    # another person is not held back by them
    services.export_job_start(user=people.head_ggzy, kind="xlsx", filters=FILTERS)
    assert ExportJob.objects.filter(owner=people.head_ggzy).count() == 1
