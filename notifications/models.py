"""The notification outbox and each user's channel preferences.

A ``Notification`` is one message to one recipient on one channel. It is written
in the same transaction as the thing it tells about (a sheet event, a due
reminder) and delivered after commit by a Celery task; its ``status`` is the
truth about delivery. In-app rows need no delivery: they are ``sent`` when
written and carry the read state. A failed row says why (``failure_kind``), which
decides whether the outbox sweep revives it on its own (``revivals``, bounded; see
``sweep.outbox_sweep``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from workflow.models import DOCUMENT_FIELDS, exactly_one_document
from workflow.steps import NOTICES


class Channel(models.TextChoices):
    IN_APP = "in_app", "站内消息"
    EMAIL = "email", "电子邮件"
    WECOM = "wecom", "企业微信"
    ROBOT = "robot", "企业微信群机器人"


class Status(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


# What a notification is about: the moves of the approval (their values and words from ``workflow.steps.MOVES``: a
# move's notification has the move's value as its kind), then the notifications no move sends.
Kind = models.TextChoices("Kind", [
    *((value.upper(), (value, word)) for value, word in NOTICES),
    ("NUDGE", ("nudge", "催办")),
    ("SPEND_REMINDER", ("spend_reminder", "填报提醒")),
    ("SPEND_WARNING", ("spend_warning", "支出预警")),
    ("SPEND_DIGEST", ("spend_digest", "预警汇总")),
    ("DISPOSAL", ("disposal", "监控处置")),
    ("EVAL_REMINDER", ("eval_reminder", "自评提醒")),
    ("EVAL_OVERDUE", ("eval_overdue", "自评逾期")),
    ("EVAL_DIGEST", ("eval_digest", "自评逾期汇总")),
    ("CALENDAR", ("calendar", "节假日日历")),
    ("ACCOUNT", ("account", "账号安全")),
], module=__name__)


def _document(row):
    """The document a notification, a card or a pending fan-out is about (its one set document foreign key), or None."""
    field = next((name for name in DOCUMENT_FIELDS if getattr(row, f"{name}_id") is not None), None)
    return getattr(row, field) if field else None


class FailureKind(models.TextChoices):
    """Why a row is ``failed``: decides whether the sweep may revive it (see ``sweep.outbox_sweep``)."""

    NONE = "", "—"
    TEMPORARY = "temporary", "暂时故障（重试次数用尽）"
    PERMANENT = "permanent", "永久错误"
    INTERRUPTED = "interrupted", "投递中断（可能已送达）"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", null=True, blank=True, on_delete=models.CASCADE,
        related_name="notifications", help_text="群机器人消息没有个人接收人",
        db_index=False,  # notification_inbox (recipient, channel, read_at) serves every lookup by recipient
    )
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    # the document it is about: one nullable foreign key per document (workflow.models.DOCUMENT_FIELDS), none for a
    # notice about no document (the calendar, an account); set null when the document is deleted
    sheet = models.ForeignKey(
        "projects.TargetSheet", verbose_name="绩效目标表", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    evaluation = models.ForeignKey(
        "evaluations.SelfEvaluation", verbose_name="绩效自评表", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    goals = models.ForeignKey(
        "projects.DepartmentGoals", verbose_name="部门整体绩效目标", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    monitoring_report = models.ForeignKey(
        "monitoring.MonitoringReport", verbose_name="运行监控表", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    disposal = models.ForeignKey(
        "monitoring.Disposal", verbose_name="监控处置", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    department_evaluation = models.ForeignKey(
        "evaluations.DepartmentEvaluation", verbose_name="部门整体自评表", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    url = models.URLField("链接", max_length=500, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    next_attempt_at = models.DateTimeField("下次尝试时间", null=True, blank=True)
    claimed_at = models.DateTimeField("开始投递时间", null=True, blank=True)
    failure_kind = models.CharField("失败类型", max_length=12, choices=FailureKind.choices, blank=True, default="")
    failed_at = models.DateTimeField("失败时间", null=True, blank=True)
    revivals = models.PositiveSmallIntegerField(
        "自动恢复次数", default=0, help_text="发件箱巡检自动重新放入发件箱的次数（有上限）",
    )
    dedupe_key = models.CharField("去重键", max_length=200)
    created = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    handled_at = models.DateTimeField(
        "办结时间", null=True, blank=True, help_text="通知所说的待办已由某人办理（通过、退回、撤回、转办）：不再算作未读",
    )

    class Meta:
        verbose_name = verbose_name_plural = "通知发件箱"
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "channel", "dedupe_key"], condition=Q(recipient__isnull=False),
                name="notification_once_per_recipient",
            ),
            models.UniqueConstraint(
                fields=["channel", "dedupe_key"], condition=Q(recipient__isnull=True),
                name="notification_once_per_robot",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_outbox"),
            models.Index(fields=["recipient", "channel", "read_at"], name="notification_inbox"),
        ]

    def __str__(self):
        who = self.recipient.username if self.recipient_id else "群机器人"
        return f"{self.get_channel_display()} → {who}：{self.title}"

    @property
    def document(self):
        """The document the notification is about, or None (a reminder of the calendar, an account notice)."""
        return _document(self)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def is_handled(self) -> bool:
        return self.handled_at is not None


class Preference(models.Model):
    """Which channels a user wants besides the in-app notification centre (always on).

    ``wecom_userid`` is also who the person is when they sign in from WeCom (``wecom`` app): it is
    written only by ``wecom.services`` (a superuser directly; an agency's 单位管理员 at
    /wecom/accounts/<code>/ only as a request the person confirms from WeCom), never in the Django
    admin, and no two people share one (case-insensitive, as WeCom's ids).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="notification_preference"
    )
    wecom_userid = models.CharField(
        "企业微信账号（userid）", max_length=64, blank=True,
        help_text="企业微信通讯录中的账号；用于企业微信消息和免密登录，由管理员设置，不能与他人重复。",
    )
    email_enabled = models.BooleanField("接收电子邮件", default=True)
    wecom_enabled = models.BooleanField("接收企业微信消息", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知偏好"
        constraints = [
            models.UniqueConstraint(
                Lower("wecom_userid"), condition=~Q(wecom_userid=""), name="preference_wecom_userid_unique",
                violation_error_message="该企业微信账号已关联其他人员。",
            ),
        ]

    def __str__(self):
        return f"{self.user} 的通知偏好"


class WeComCard(models.Model):
    """An approval card (template card, ``button_interaction``) sent to one reviewer over WeCom.

    A tap on 通过 comes back to ``wecom.views.callback`` with the card's ``task_id``: the card says
    which sheet, at which state and version, for whom. The approval is made on that version only,
    so a sheet handled, withdrawn or reassigned meanwhile answers 已由他人处理 and changes nothing.
    """

    task_id = models.CharField("任务 ID", max_length=128, unique=True)
    notification = models.ForeignKey(Notification, verbose_name="通知", null=True, on_delete=models.SET_NULL, related_name="+")
    # the document the card asks to approve (one foreign key per document, as on workflow.Event)
    sheet = models.ForeignKey(
        "projects.TargetSheet", verbose_name="绩效目标表", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    evaluation = models.ForeignKey(
        "evaluations.SelfEvaluation", verbose_name="绩效自评表", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    goals = models.ForeignKey(
        "projects.DepartmentGoals", verbose_name="部门整体绩效目标", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    monitoring_report = models.ForeignKey(
        "monitoring.MonitoringReport", verbose_name="运行监控表", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    disposal = models.ForeignKey(
        "monitoring.Disposal", verbose_name="监控处置", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
    )
    department_evaluation = models.ForeignKey(
        "evaluations.DepartmentEvaluation", verbose_name="部门整体自评表", null=True, blank=True,
        on_delete=models.CASCADE, related_name="+",
    )
    state = models.CharField("发送时状态", max_length=20)
    version = models.PositiveIntegerField("发送时版本")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE, related_name="+")
    wecom_userid = models.CharField("企业微信账号", max_length=64)
    response_code = models.CharField("发送返回的 response_code", max_length=512, blank=True)
    created = models.DateTimeField("发送时间", auto_now_add=True)
    handled_at = models.DateTimeField("点击处理时间", null=True, blank=True)
    outcome = models.CharField("处理结果", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "企业微信审批卡片"
        ordering = ["-created", "-id"]
        constraints = [models.CheckConstraint(condition=exactly_one_document(), name="wecom_card_one_document")]

    @property
    def document(self):
        return _document(self)

    def __str__(self):
        return f"{self.task_id} → {self.wecom_userid}"


class PendingFanOut(models.Model):
    """A move whose notifications are not written yet (``fanout.event_notify``).

    Written in the move's own transaction, so a move is never recorded without it; the worker writes the
    notifications after the move commits, the sheet's moves in their order, and deletes this row in the same
    transaction. If the worker is never told (a lost publish), the outbox sweep does it."""

    event = models.OneToOneField(
        "workflow.Event", verbose_name="办理记录", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    # the event's document (one foreign key per document, as on workflow.Event): the moves of one document are
    # written in their order, under the lock of its pending rows
    sheet = models.ForeignKey(
        "projects.TargetSheet", verbose_name="绩效目标表", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    evaluation = models.ForeignKey(
        "evaluations.SelfEvaluation", verbose_name="绩效自评表", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    goals = models.ForeignKey(
        "projects.DepartmentGoals", verbose_name="部门整体绩效目标", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    monitoring_report = models.ForeignKey(
        "monitoring.MonitoringReport", verbose_name="运行监控表", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    disposal = models.ForeignKey(
        "monitoring.Disposal", verbose_name="监控处置", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
    )
    department_evaluation = models.ForeignKey(
        "evaluations.DepartmentEvaluation", verbose_name="部门整体自评表", null=True, blank=True,
        on_delete=models.CASCADE, related_name="+",
    )
    # the document's round (``round_actors``) as the move left it, which its audience depends on (提交与审核分离):
    # written with the move, so the worker need not read it back from the history (null: recorded before it was)
    round_actors = models.CharField("本轮提交人与审核人", max_length=200, null=True, blank=True)
    created = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "待写入的办理通知"
        constraints = [models.CheckConstraint(condition=exactly_one_document(), name="pending_fan_out_one_document")]
