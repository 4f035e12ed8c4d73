"""The sheet app's own table: an uploaded Word document waiting for the confirmation of its import."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class PendingImport(models.Model):
    """An uploaded Word document waiting for its uploader to confirm the previewed import (导入预览).

    ``expected_versions`` holds the versions ({sheet id: version}) of the drafts the preview would update:
    the import is confirmed only while none of them has changed since.
    """

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.CASCADE, related_name="pending_imports"
    )
    file_name = models.CharField("文件名", max_length=255)
    content = models.BinaryField("文件内容")
    year = models.PositiveSmallIntegerField("预算年度")
    section = models.ForeignKey(
        "projects.Section", verbose_name="导入到科室", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created = models.DateTimeField("上传时间", auto_now_add=True, db_index=True)
    confirmed_at = models.DateTimeField("确认导入时间", null=True, blank=True)
    expected_versions = models.JSONField("预览时各表版本", default=dict, blank=True)

    class Meta:
        db_table = "workflow_pendingimport"  # moved from the engine (workflow 0010): the table kept its name
        verbose_name = verbose_name_plural = "待确认的导入"
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.file_name}（{self.year}年，{timezone.localtime(self.created):%Y-%m-%d %H:%M}）"
