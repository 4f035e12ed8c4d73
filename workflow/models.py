"""The history of every document on the approval engine (办理记录): every move, import and repair, with who did it."""

from functools import reduce
from operator import or_

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from people.roles import display_name
from workflow.steps import CHAIN, Action

# The history's foreign key of each document (its ``history_field``), by string reference: a second document adds its
# nullable foreign key below and its name here.
DOCUMENT_FIELDS = ("sheet", "evaluation", "goals", "monitoring_report", "disposal", "department_evaluation")


def exactly_one_document(fields=DOCUMENT_FIELDS) -> Q:
    """Exactly one of the document foreign keys ``fields`` is set."""
    return reduce(or_, (
        Q(**{f"{name}__isnull": False}, **{f"{other}__isnull": True for other in fields if other != name}) for name in fields
    ))


def acted_by(actor, principal=None) -> str:
    """"刘洋 代 张建国" when ``actor`` acted for ``principal`` (委托), else the actor's name."""
    if principal is None:
        return display_name(actor)
    return f"{display_name(actor)} 代 {display_name(principal)}"


class Event(models.Model):
    """One thing that happened to a document: who did what, when, with which comment.

    A submission freezes the document's content in ``snapshot`` so reviewers can see what changed
    between two submissions; an import or a restore keeps there the content it replaced.
    """

    sheet = models.ForeignKey(
        "projects.TargetSheet", verbose_name="绩效目标表", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    evaluation = models.ForeignKey(
        "evaluations.SelfEvaluation", verbose_name="绩效自评表", null=True, blank=True, on_delete=models.CASCADE,
        related_name="events",
    )
    goals = models.ForeignKey(
        "projects.DepartmentGoals", verbose_name="部门整体绩效目标", null=True, blank=True, on_delete=models.CASCADE,
        related_name="events",
    )
    monitoring_report = models.ForeignKey(
        "monitoring.MonitoringReport", verbose_name="运行监控表", null=True, blank=True, on_delete=models.CASCADE,
        related_name="events",
    )
    disposal = models.ForeignKey(
        "monitoring.Disposal", verbose_name="监控处置", null=True, blank=True, on_delete=models.CASCADE, related_name="events",
    )
    department_evaluation = models.ForeignKey(
        "evaluations.DepartmentEvaluation", verbose_name="部门整体自评表", null=True, blank=True,
        on_delete=models.CASCADE, related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="委托人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="受托人代委托人办理时（委托）：委托人；记录显示为“受托人 代 委托人”",
    )
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    from_state = models.CharField("原状态", max_length=20, choices=CHAIN.state_choices)
    to_state = models.CharField("新状态", max_length=20, choices=CHAIN.state_choices)
    comment = models.TextField("意见", blank=True)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="转办给", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resume_state = models.CharField(
        "修改后回到", max_length=20, choices=CHAIN.state_choices, blank=True, default="",
        help_text="退回修改时：重新提交后直接回到的环节（前面环节的通过保留）；为空时从头重新审核",
    )
    snapshot = models.JSONField("内容快照", null=True, blank=True, help_text="提交时的内容；导入、恢复时为被替换前的内容")
    created = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "审批记录"
        ordering = ["created", "id"]
        indexes = [
            models.Index(fields=["sheet", "created"], name="event_sheet_created"),
            models.Index(fields=["evaluation", "created"], name="event_evaluation_created"),
            models.Index(fields=["goals", "created"], name="event_goals_created"),
            models.Index(fields=["monitoring_report", "created"], name="event_monrep_created"),
            models.Index(fields=["disposal", "created"], name="event_disposal_created"),
            models.Index(fields=["department_evaluation", "created"], name="event_dept_evaluation_created"),
            models.Index(fields=["actor", "-created", "-id"], name="event_actor_created"),  # 已办, a keyset page at a time
        ]
        constraints = [models.CheckConstraint(condition=exactly_one_document(), name="event_one_document")]

    def __str__(self):
        return f"{self.get_action_display()} {self.document} @ {timezone.localtime(self.created):%Y-%m-%d %H:%M}"

    @property
    def actor_text(self) -> str:
        """Who acted, as the history, the notifications and the API say it: 张建国, or 刘洋 代 张建国 (委托)."""
        return acted_by(self.actor, self.on_behalf_of if self.on_behalf_of_id else None)

    @property
    def document_field(self) -> str:
        return next(name for name in DOCUMENT_FIELDS if getattr(self, f"{name}_id") is not None)

    @property
    def document_id(self) -> int:
        return getattr(self, f"{self.document_field}_id")

    @property
    def document(self):
        """The document the event happened to (read once, then cached as any foreign key)."""
        return getattr(self, self.document_field)

    @document.setter
    def document(self, document) -> None:
        setattr(self, document.history_field, document)


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
