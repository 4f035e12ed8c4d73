"""Exports that run in the background (Word packages and Excel summaries of many sheets): one row per job."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ExportKind(models.TextChoices):
    XLSX = "xlsx", "Excel 汇总表"
    DOCX = "docx", "Word 绩效目标汇总"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


ACTIVE_STATUSES = (ExportStatus.PENDING, ExportStatus.RUNNING)


class ExportJob(models.Model):
    """One export a user asked for. Its file is ``path`` inside ``EXPORTS_ROOT`` (a directory web and worker share),
    ``size`` bytes, kept until ``expires`` and deleted with the job; only ``owner`` may download it. Progress is
    ``done`` of ``total`` sheets.

    ``queued`` and ``attempts`` say when and how often its task was queued; a running job writes ``heartbeat`` with
    its progress. The sweep (``exports.services.export_jobs_sweep``) queues again a job whose task was lost or whose
    worker stopped, and fails it with a Chinese reason after ``EXPORT_MAX_ATTEMPTS``; its owner may retry it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.CASCADE, related_name="export_jobs")
    kind = models.CharField("类型", max_length=10, choices=ExportKind.choices)
    filters = models.JSONField("筛选条件", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    done = models.PositiveIntegerField("已处理", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    file_name = models.CharField("文件名", max_length=255, blank=True)
    path = models.CharField("文件", max_length=255, blank=True, editable=False, help_text="EXPORTS_ROOT 中的文件名")
    size = models.BigIntegerField("文件大小（字节）", null=True, blank=True, editable=False)
    error = models.TextField("错误信息", blank=True)
    attempts = models.PositiveSmallIntegerField("排队次数", default=0)
    created = models.DateTimeField("申请时间", auto_now_add=True)
    queued = models.DateTimeField("最近排队时间", null=True, blank=True)
    started = models.DateTimeField("开始时间", null=True, blank=True)
    heartbeat = models.DateTimeField("最近进度时间", null=True, blank=True)
    finished = models.DateTimeField("完成时间", null=True, blank=True)
    expires = models.DateTimeField("过期时间", db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "导出任务"
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created"], name="exportjob_owner_created"),
            # the sweep reads only the queued and running jobs
            models.Index(fields=["status"], condition=models.Q(status__in=ACTIVE_STATUSES), name="exportjob_active"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        # 99 at most until the file is complete (zipping a large workbook takes a while after its last row)
        return min(99, int(100 * self.done / self.total)) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def can_retry(self) -> bool:
        return self.status == ExportStatus.FAILED
