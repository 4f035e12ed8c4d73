"""The history of a target sheet (办理记录): every move, import and repair, with who did it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from projects.models import SheetState, TargetSheet


class Action(models.TextChoices):
    SUBMIT = "submit", "提交"
    WITHDRAW = "withdraw", "撤回"
    APPROVE = "approve", "通过"
    RETURN = "return", "退回修改"
    REASSIGN = "reassign", "转办"
    NUDGE = "nudge", "催办"
    PUBLISH = "publish", "公开"
    MOVE = "move", "移交科室"
    IMPORT = "import", "导入 Word"
    RESTORE = "restore", "恢复内容"
    REPAIR = "repair", "系统校正"
    ROLLOVER = "rollover", "由上年结转"


class SheetEvent(models.Model):
    """One thing that happened to a sheet: who did what, when, with which comment.

    A submission freezes the sheet's content in ``snapshot`` so reviewers can see what changed
    between two submissions; an import or a restore keeps there the content it replaced.
    """

    sheet = models.ForeignKey(TargetSheet, verbose_name="绩效目标表", on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    from_state = models.CharField("原状态", max_length=20, choices=SheetState.choices)
    to_state = models.CharField("新状态", max_length=20, choices=SheetState.choices)
    comment = models.TextField("意见", blank=True)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="转办给", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    snapshot = models.JSONField("内容快照", null=True, blank=True, help_text="提交时的内容；导入、恢复时为被替换前的内容")
    created = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "审批记录"
        ordering = ["created", "id"]
        indexes = [
            models.Index(fields=["sheet", "created"], name="event_sheet_created"),
            models.Index(fields=["actor", "-created", "-id"], name="event_actor_created"),  # 已办, a keyset page at a time
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.sheet} @ {timezone.localtime(self.created):%Y-%m-%d %H:%M}"


class SavedPhrase(models.Model):
    """常用意见: a comment a reviewer saved to pick again in the comment boxes (their own only)."""

    APPROVE_DEFAULTS = ("同意。", "同意，请按计划执行。")
    RETURN_DEFAULTS = ("请补充指标值确定依据。", "请核实预算数与资金支出计划。", "请细化绩效指标，量化指标值。")
    DEFAULTS = APPROVE_DEFAULTS + RETURN_DEFAULTS
    MAX_LENGTH = 200
    MAX_PER_USER = 30

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="saved_phrases")
    text = models.CharField("常用意见", max_length=MAX_LENGTH)
    created = models.DateTimeField("保存时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "常用意见"
        ordering = ["-created", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "text"], name="saved_phrase_once_per_user")]

    def __str__(self):
        return self.text
