"""The approval process of a target sheet and its history."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from viewflow.workflow.models import Process

from projects.models import Agency, Section, SheetState, TargetSheet


class SheetProcess(Process):
    """One approval run of a sheet: from its first submission until it is published.

    ``section`` and ``agency`` are copied from the sheet so task queues filter on indexed keys.
    """

    sheet = models.ForeignKey(TargetSheet, verbose_name="绩效目标表", on_delete=models.CASCADE, related_name="processes")
    section = models.ForeignKey(Section, verbose_name="科室", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, verbose_name="预算单位", on_delete=models.PROTECT, related_name="+")
    decision = models.CharField("最近决定", max_length=20, blank=True)

    class Meta:
        verbose_name = "审批流程"
        verbose_name_plural = "审批流程"


class Action(models.TextChoices):
    SUBMIT = "submit", "提交"
    WITHDRAW = "withdraw", "撤回"
    APPROVE = "approve", "通过"
    RETURN = "return", "退回修改"
    REASSIGN = "reassign", "转办"
    NUDGE = "nudge", "催办"
    PUBLISH = "publish", "公开"


class SheetEvent(models.Model):
    """One thing that happened to a sheet: who did what, when, with which comment.

    A submission also freezes the sheet's content in ``snapshot`` so reviewers
    can see what changed between two submissions.
    """

    sheet = models.ForeignKey(TargetSheet, verbose_name="绩效目标表", on_delete=models.CASCADE, related_name="events")
    process = models.ForeignKey(SheetProcess, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
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
    snapshot = models.JSONField("提交时内容", null=True, blank=True)
    created = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "审批记录"
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["sheet", "created"], name="event_sheet_created")]

    def __str__(self):
        return f"{self.get_action_display()} {self.sheet} @ {timezone.localtime(self.created):%Y-%m-%d %H:%M}"
