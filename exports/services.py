"""Writes for exports: start a background export, run it (the Celery task's body), sweep, retry and expire jobs.

Small sets answer in the request (``xlsx_write`` / the Word package); from ``EXPORT_BACKGROUND_FROM`` sheets
on (1,000 by default: the size of a county's year, where the request would take seconds and a province's
would outlast gunicorn's timeout) the request only starts an ``ExportJob`` and the user watches its progress. A job's
file is written in a run directory of ``EXPORTS_ROOT`` and moved beside it when complete; the job records its name and
size, and the file is deleted with the job (``exports.receivers``) or, left by a stopped worker, by the hourly sweep.

No job waits for ever: its task is queued after the transaction that wrote it commits, and a broker that cannot
take it fails the job with a Chinese reason (the request itself answers normally). The sweep queues again a job
whose task was lost or whose worker stopped, and fails it with a reason after ``EXPORT_MAX_ATTEMPTS``; the task
claims a queued job or a running one that stopped making progress. The owner may retry a failed job. A person has
at most ``EXPORT_MAX_ACTIVE_PER_USER`` jobs queued or running at once.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import errors
from core.errors import AppError
from exports import selectors
from exports.models import ACTIVE_STATUSES, ExportJob, ExportKind, ExportStatus
from exports.xlsx import ROW_LIMIT, write_summary
from projects import exporting
from projects.models import Agency
from projects.selectors import package_sheets
from sheets import permissions as sheet_permissions

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FAILED_MESSAGE = "生成文件时出错，请稍后重试；如果再次失败，请联系管理员。"
QUEUE_DOWN_MESSAGE = "后台任务队列暂时不可用，导出没有开始。请稍后点“重试”；如果仍然失败，请联系管理员。"
NOT_STARTED_MESSAGE = "导出排队 {minutes} 分钟仍未开始（后台工作进程可能没有运行）。请稍后点“重试”；如果仍然失败，请联系管理员。"
INTERRUPTED_MESSAGE = "生成过程多次中断（后台工作进程停止），文件没有生成。请点“重试”；如果仍然失败，请联系管理员。"


def background_from() -> int:
    return int(getattr(settings, "EXPORT_BACKGROUND_FROM", 1000))


def keep_hours() -> int:
    return int(getattr(settings, "EXPORT_KEEP_HOURS", 24))


def max_active() -> int:
    return int(getattr(settings, "EXPORT_MAX_ACTIVE_PER_USER", 3))


def requeue_after() -> datetime.timedelta:
    return datetime.timedelta(minutes=float(getattr(settings, "EXPORT_REQUEUE_MINUTES", 10)))


def stale_after() -> datetime.timedelta:
    return datetime.timedelta(minutes=float(getattr(settings, "EXPORT_STALE_MINUTES", 15)))


def max_attempts() -> int:
    return int(getattr(settings, "EXPORT_MAX_ATTEMPTS", 3))


# ---------------------------------------------------------------- what an export holds


def xlsx_write(*, user, filters: dict, target, progress=None, expected_sheets: int | None = None, tmpdir=None, row_limit: int = ROW_LIMIT) -> int:
    """The Excel summary of what ``user`` sees in the sheet list with ``filters`` to ``target`` (a path or a binary
    file); returns the number of sheets. With ``expected_sheets`` (a background job's total) the indicator rows are
    counted first, so that a workbook whose tables need more than one worksheet opens on its 目录."""
    sheets = selectors.summary_sheets(user, filters)
    labels = selectors.checkpoint_labels(sheets)
    expected = (expected_sheets, selectors.indicator_count(sheets)) if expected_sheets is not None else None
    records = selectors.summary_records(sheets)
    try:
        return write_summary(
            records, target, checkpoint_labels=labels, progress=progress, expected_rows=expected, tmpdir=tmpdir,
            row_limit=row_limit,
        )
    finally:
        records.close()  # a run stopped midway stops its read-ahead thread here, not when collected


# ---------------------------------------------------------------- where files are kept

RUN_DIR = re.compile(r"^\.run-(\d+)-[0-9a-f]+$")


def exports_root() -> Path:
    """The directory of export files (``EXPORTS_ROOT``), made when first needed. Web and worker must share it."""
    root = Path(settings.EXPORTS_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


def job_file(job: ExportJob) -> Path | None:
    """The job's file, when it has one (a name inside ``exports_root()``, never a path from elsewhere)."""
    if not job.path or Path(job.path).name != job.path:
        return None
    return Path(settings.EXPORTS_ROOT) / job.path


@contextmanager
def run_directory(job_id: int = 0):
    """A directory of this run's temporary files (XlsxWriter's rows until the workbook is zipped), removed after;
    the sweep removes one a stopped worker left behind."""
    directory = exports_root() / f".run-{job_id}-{secrets.token_hex(6)}"
    directory.mkdir()
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def export_file_remove(path: str | os.PathLike | None) -> None:
    """Delete a job's file (when its job is deleted or its run did not count); a file already gone is fine."""
    if path:
        Path(path).unlink(missing_ok=True)


def export_files_sweep(*, now: datetime.datetime | None = None) -> int:
    """Remove what no job holds any more: files of no job (their run stopped between writing and recording them, or
    their job's deletion did not reach the disk) and run directories of jobs no longer running, once untouched for
    ``stale_after()``. Returns how many were removed."""
    now = now or timezone.now()
    root = exports_root()
    cutoff = (now - stale_after()).timestamp()
    kept = set(ExportJob.objects.exclude(path="").values_list("path", flat=True))
    running = set(ExportJob.objects.filter(status=ExportStatus.RUNNING).values_list("pk", flat=True))
    removed = 0
    for entry in root.iterdir():
        try:
            if entry.stat().st_mtime >= cutoff:
                continue
            match = RUN_DIR.match(entry.name)
            if entry.is_dir() and match and int(match.group(1)) not in running:
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
            elif entry.is_file() and entry.name not in kept:
                entry.unlink(missing_ok=True)
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def xlsx_file_name(filters: dict) -> str:
    parts = [filters.get("agency") or "", f"{filters['year']}年" if filters.get("year") else ""]
    return f"{''.join(parts)}绩效目标汇总-{timezone.localdate():%Y%m%d}.xlsx"


def package_agency(user, filters: dict) -> tuple[Agency, int, list | None]:
    """The agency, year and states of a Word package ``user`` may download; refused in Chinese otherwise."""
    agency = Agency.objects.filter(code=str(filters.get("agency") or "")[:20]).first()
    if agency is None or not sheet_permissions.can_download_package(user, agency):
        raise errors.not_found("没有找到该单位，或您无权下载它的绩效目标汇总。")
    try:
        year = int(filters.get("year"))
    except (TypeError, ValueError):
        raise errors.invalid("请选择年度。") from None
    states = sheet_permissions.package_states(user, agency, published_only=bool(filters.get("published_only")))
    return agency, year, states


def export_size(*, user, kind: str, filters: dict) -> int:
    """How many sheets the export holds, counted up to ``background_from()``."""
    if kind == ExportKind.DOCX:
        agency, year, states = package_agency(user, filters)
        return selectors.count_upto(package_sheets(agency=agency, year=year, states=states), background_from())
    return selectors.count_upto(selectors.summary_sheets(user, filters), background_from())


# ---------------------------------------------------------------- background jobs


def _job_total(user, kind: str, filters: dict) -> tuple[dict, int]:
    """The job's filters as stored and how many sheets it holds for ``user`` now; refused when there are none."""
    if kind == ExportKind.DOCX:
        agency, year, _ = package_agency(user, filters)
        filters = {"agency": agency.code, "year": year, "published_only": bool(filters.get("published_only"))}
        total = package_sheets(agency=agency, year=year, states=sheet_permissions.package_states(user, agency, published_only=filters["published_only"])).count()
    else:
        filters = {name: filters.get(name) for name in selectors.FILTER_NAMES}
        total = selectors.summary_sheets(user, filters).order_by().count()
    if not total:
        raise errors.invalid("没有符合条件的绩效目标表，无需导出。")
    return filters, total


def _active_limit_ensure(user, *, excluding: int | None = None) -> None:
    """At most ``max_active()`` jobs queued or running per person (the person's row is locked, so two requests at
    once cannot both take the last place)."""
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    active = ExportJob.objects.filter(owner=user, status__in=ACTIVE_STATUSES, expires__gte=timezone.now())
    if excluding is not None:
        active = active.exclude(pk=excluding)
    if active.count() >= max_active():
        raise errors.conflict(
            f"您已有 {max_active()} 个导出任务在排队或生成中，请等其中一个完成后再开始新的导出。", code="export_limit"
        )


@transaction.atomic
def export_job_start(*, user, kind: str, filters: dict) -> ExportJob:
    """Record the job and queue it once the transaction commits; the request returns at once."""
    if not user.is_authenticated:
        raise errors.forbidden("请先登录。")
    if kind not in ExportKind.values:
        raise errors.invalid(f"未知的导出类型“{kind}”。")
    _active_limit_ensure(user)
    filters, total = _job_total(user, kind, filters)
    export_jobs_expire()
    now = timezone.now()
    job = ExportJob.objects.create(
        owner=user, kind=kind, filters=filters, total=total, attempts=1, queued=now,
        expires=now + datetime.timedelta(hours=keep_hours()),
    )
    job_id = job.pk
    transaction.on_commit(lambda: export_job_enqueue(job_id=job_id))
    return job


@transaction.atomic
def export_job_retry(*, user, job_id: int) -> ExportJob:
    """The owner starts a failed job again (with their permissions as they are now, the same filters)."""
    job = job_for_owner(user, job_id)
    job = ExportJob.objects.select_for_update().get(pk=job.pk)
    if not job.can_retry:
        raise errors.conflict(f"这个导出任务{job.get_status_display()}，只有失败的任务可以重试。", code="export_not_failed")
    _active_limit_ensure(user, excluding=job.pk)
    filters, total = _job_total(user, job.kind, job.filters)
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.PENDING, filters=filters, total=total, done=0, error="", attempts=1, queued=now,
        started=None, heartbeat=None, finished=None, path="", size=None, file_name="",
        expires=now + datetime.timedelta(hours=keep_hours()),
    )
    retried, old_file = job.pk, job_file(job)
    transaction.on_commit(lambda: export_file_remove(old_file))
    transaction.on_commit(lambda: export_job_enqueue(job_id=retried))
    return ExportJob.objects.get(pk=retried)


def export_job_enqueue(*, job_id: int) -> bool:
    """Queue the job's task (after the transaction that wrote the job committed). A broker that cannot take it fails
    the job with a Chinese reason its owner reads on the progress page: never an error in the user's request."""
    try:
        _enqueue(job_id)
    except Exception:  # the broker is down or unreachable
        logger.warning("导出任务 %s 入队失败", job_id, exc_info=True)
        ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
            status=ExportStatus.FAILED, error=QUEUE_DOWN_MESSAGE, finished=timezone.now()
        )
        return False
    return True


def _enqueue(job_id: int) -> None:
    from exports.tasks import run_export_job

    run_export_job.apply_async(args=[job_id], queue=getattr(settings, "EXPORT_QUEUE", "celery"))


class _Superseded(Exception):
    """This run's job was claimed again by another run (the sweep took this worker for stopped) or deleted."""


def export_job_run(*, job_id: int) -> None:
    """Build the job's file with the owner's permissions as they are now, writing progress as it goes.

    Claims the job when it is queued, or running without progress for ``stale_after()`` (its worker stopped and the
    message came back); a run whose job was claimed again stops at its next progress write."""
    started = timezone.now()
    claimed = (
        ExportJob.objects.filter(pk=job_id)
        .filter(Q(status=ExportStatus.PENDING) | Q(status=ExportStatus.RUNNING, heartbeat__lt=started - stale_after()))
        .update(status=ExportStatus.RUNNING, started=started, heartbeat=started, done=0)
    )
    if not claimed:
        return  # already run or running (a redelivered message), or expired
    job = ExportJob.objects.select_related("owner").get(pk=job_id)

    def progress(done: int) -> None:
        if not job_progress_set(job_id=job_id, done=done, started=started):
            raise _Superseded

    name = f"{job.kind}-{job_id}-{secrets.token_hex(8)}.{job.kind}"
    with run_directory(job_id) as directory:
        written = directory / name
        try:
            if job.kind == ExportKind.DOCX:
                agency, year, states = package_agency(job.owner, job.filters)
                with open(written, "wb") as handle:
                    data = exporting.export_package(agency=agency, year=year, target=handle, states=states, progress=progress)
                count, file_name = len(data.sheets), exporting.package_file_name(agency, year, states=states)
            else:
                count = xlsx_write(user=job.owner, filters=job.filters, target=str(written), progress=progress,
                                   expected_sheets=job.total, tmpdir=str(directory))
                file_name = xlsx_file_name(job.filters)
        except _Superseded:
            logger.info("export job %s was claimed by another run; this one stops", job_id)
            return
        except AppError as error:
            _fail(job_id, error.message, started=started)
            return
        except Exception:
            logger.exception("export job %s failed", job_id)
            _fail(job_id, FAILED_MESSAGE, started=started)
            return
        kept = exports_root() / name
        os.replace(written, kept)
    size = kept.stat().st_size
    recorded = ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING, started=started).update(
        status=ExportStatus.DONE, done=count, total=count, path=name, size=size, file_name=file_name,
        finished=timezone.now(), heartbeat=timezone.now(),
    )
    if not recorded:  # claimed by another run, or deleted, meanwhile
        export_file_remove(kept)


def job_progress_set(*, job_id: int, done: int, started=None) -> bool:
    """Progress and the run's heartbeat, written at once (outside any transaction) for the progress page to read.
    With ``started``: only while the job is still this run's; False when it is not (claimed again, or deleted)."""
    jobs = ExportJob.objects.filter(pk=job_id)
    if started is not None:
        jobs = jobs.filter(status=ExportStatus.RUNNING, started=started)
    return bool(jobs.update(done=done, heartbeat=timezone.now()))


def _fail(job_id: int, message: str, *, started=None) -> None:
    jobs = ExportJob.objects.filter(pk=job_id)
    if started is not None:
        jobs = jobs.filter(status=ExportStatus.RUNNING, started=started)
    jobs.update(status=ExportStatus.FAILED, error=message, finished=timezone.now())


@dataclass
class SweepResult:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def export_jobs_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    """Queue again the jobs whose task was lost (queued ``requeue_after()`` ago and not started) or whose worker
    stopped (running without progress for ``stale_after()``); a job already queued ``max_attempts()`` times is failed
    with a Chinese reason instead. Each job is decided under its row lock, so a worker claiming it meanwhile wins."""
    now = now or timezone.now()
    result = SweepResult()
    lost = Q(status=ExportStatus.PENDING, queued__lt=now - requeue_after())
    stopped = Q(status=ExportStatus.RUNNING, heartbeat__lt=now - stale_after())
    for job_id in ExportJob.objects.filter(lost | stopped, expires__gte=now).order_by("id").values_list("pk", flat=True):
        with transaction.atomic():
            job = ExportJob.objects.select_for_update(skip_locked=True).filter(lost | stopped, pk=job_id).first()
            if job is None:
                continue  # claimed, finished or being swept meanwhile
            if job.attempts >= max_attempts():
                waited = now - min(job.created, job.queued or job.created)
                minutes = int(waited.total_seconds() // 60)
                message = INTERRUPTED_MESSAGE if job.status == ExportStatus.RUNNING else NOT_STARTED_MESSAGE.format(minutes=minutes)
                ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, error=message, finished=now)
                result.failed.append(job.pk)
                continue
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportStatus.PENDING, attempts=job.attempts + 1, queued=now, started=None, heartbeat=None, done=0
            )
            transaction.on_commit(lambda job_id=job.pk: export_job_enqueue(job_id=job_id))
            result.requeued.append(job.pk)
    return result


def export_jobs_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete jobs past their expiry (their files go with them: ``exports.receivers``) and the files no job holds;
    returns how many jobs."""
    deleted, _ = ExportJob.objects.filter(expires__lt=now or timezone.now()).delete()
    export_files_sweep(now=now)
    return deleted


def job_for_owner(user, pk) -> ExportJob:
    """The job if ``user`` asked for it; 404 for anyone else (its existence is not revealed)."""
    job = ExportJob.objects.filter(pk=pk, owner_id=getattr(user, "pk", None)).first() if user.is_authenticated else None
    if job is None:
        raise errors.not_found("没有找到这个导出任务（只有申请人可以查看和下载）。")
    return job
