"""Writes for exports: start a background export, run it (the Celery task's body), expire old ones.

Small sets answer in the request (``xlsx_write`` / the Word package); from ``EXPORT_BACKGROUND_FROM`` sheets
on (1,000 by default: the size of a county's year, where the request would take seconds and a province's
would outlast gunicorn's timeout) the request only starts an ``ExportJob`` and the user watches its progress.
"""

from __future__ import annotations

import datetime
import io
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import errors
from core.errors import AppError
from exports import selectors
from exports.models import ExportJob, ExportKind, ExportStatus
from exports.xlsx import write_summary
from projects import exporting
from projects.models import Agency
from projects.selectors import package_sheets
from workflow import permissions

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FAILED_MESSAGE = "生成文件时出错，请稍后重试；如果再次失败，请联系管理员。"


def background_from() -> int:
    return int(getattr(settings, "EXPORT_BACKGROUND_FROM", 1000))


def keep_hours() -> int:
    return int(getattr(settings, "EXPORT_KEEP_HOURS", 24))


# ---------------------------------------------------------------- what an export holds


def xlsx_write(*, user, filters: dict, target, progress=None) -> int:
    """The Excel summary of what ``user`` sees in the sheet list with ``filters``; returns the number of sheets."""
    sheets = selectors.summary_sheets(user, filters)
    labels = selectors.checkpoint_labels(sheets)
    return write_summary(sheets.iterator(chunk_size=500), target, checkpoint_labels=labels, progress=progress)


def xlsx_file_name(filters: dict) -> str:
    parts = [filters.get("agency") or "", f"{filters['year']}年" if filters.get("year") else ""]
    return f"{''.join(parts)}绩效目标汇总-{timezone.localdate():%Y%m%d}.xlsx"


def package_agency(user, filters: dict) -> tuple[Agency, int, list | None]:
    """The agency, year and states of a Word package ``user`` may download; refused in Chinese otherwise."""
    agency = Agency.objects.filter(code=str(filters.get("agency") or "")[:20]).first()
    if agency is None or not permissions.can_download_package(user, agency):
        raise errors.not_found("没有找到该单位，或您无权下载它的绩效目标汇总。")
    try:
        year = int(filters.get("year"))
    except (TypeError, ValueError):
        raise errors.invalid("请选择年度。") from None
    states = permissions.package_states(user, agency, published_only=bool(filters.get("published_only")))
    return agency, year, states


def export_size(*, user, kind: str, filters: dict) -> int:
    """How many sheets the export holds, counted up to ``background_from()``."""
    if kind == ExportKind.DOCX:
        agency, year, states = package_agency(user, filters)
        return selectors.count_upto(package_sheets(agency=agency, year=year, states=states), background_from())
    return selectors.count_upto(selectors.summary_sheets(user, filters), background_from())


# ---------------------------------------------------------------- background jobs


@transaction.atomic
def export_job_start(*, user, kind: str, filters: dict) -> ExportJob:
    """Record the job and queue it once the transaction commits; the request returns at once."""
    if not user.is_authenticated:
        raise errors.forbidden("请先登录。")
    if kind not in ExportKind.values:
        raise errors.invalid(f"未知的导出类型“{kind}”。")
    if kind == ExportKind.DOCX:
        agency, year, _ = package_agency(user, filters)
        filters = {"agency": agency.code, "year": year, "published_only": bool(filters.get("published_only"))}
        total = package_sheets(agency=agency, year=year, states=permissions.package_states(user, agency, published_only=filters["published_only"])).count()
    else:
        filters = {name: filters.get(name) for name in selectors.FILTER_NAMES}
        total = selectors.summary_sheets(user, filters).order_by().count()
    if not total:
        raise errors.invalid("没有符合条件的绩效目标表，无需导出。")
    export_jobs_expire()
    now = timezone.now()
    job = ExportJob.objects.create(
        owner=user, kind=kind, filters=filters, total=total, expires=now + datetime.timedelta(hours=keep_hours())
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from exports.tasks import run_export_job

    run_export_job.apply_async(args=[job_id], queue=getattr(settings, "EXPORT_QUEUE", "celery"))


def export_job_run(*, job_id: int) -> None:
    """Build the job's file with the owner's permissions as they are now, writing progress as it goes."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING, started=timezone.now()
    )
    if not claimed:
        return  # already run (a redelivered message) or expired
    job = ExportJob.objects.select_related("owner").get(pk=job_id)

    def progress(done: int) -> None:
        job_progress_set(job_id=job_id, done=done)

    buffer = io.BytesIO()
    try:
        if job.kind == ExportKind.DOCX:
            agency, year, states = package_agency(job.owner, job.filters)
            data = exporting.export_package(agency=agency, year=year, target=buffer, states=states, progress=progress)
            count, name = len(data.sheets), exporting.package_file_name(agency, year, states=states)
        else:
            count = xlsx_write(user=job.owner, filters=job.filters, target=buffer, progress=progress)
            name = xlsx_file_name(job.filters)
    except AppError as error:
        _fail(job_id, error.message)
        return
    except Exception:
        logger.exception("export job %s failed", job_id)
        _fail(job_id, FAILED_MESSAGE)
        return
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportStatus.DONE, done=count, total=count, content=buffer.getvalue(), file_name=name,
        finished=timezone.now(),
    )


def job_progress_set(*, job_id: int, done: int) -> None:
    """Progress, written at once (outside any transaction) for the progress page to read."""
    ExportJob.objects.filter(pk=job_id).update(done=done)


def _fail(job_id: int, message: str) -> None:
    ExportJob.objects.filter(pk=job_id).update(status=ExportStatus.FAILED, error=message, finished=timezone.now())


def export_jobs_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete jobs (and their files) past their expiry; returns how many."""
    deleted, _ = ExportJob.objects.filter(expires__lt=now or timezone.now()).delete()
    return deleted


def job_for_owner(user, pk) -> ExportJob:
    """The job if ``user`` asked for it; 404 for anyone else (its existence is not revealed)."""
    job = ExportJob.objects.filter(pk=pk, owner_id=getattr(user, "pk", None)).defer("content").first() if user.is_authenticated else None
    if job is None:
        raise errors.not_found("没有找到这个导出任务（只有申请人可以查看和下载）。")
    return job
