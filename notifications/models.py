"""The notification outbox and each user's channel preferences.

A ``Notification`` is one message to one recipient on one channel. It is written
in the same transaction as the thing it tells about (a sheet event, a due
reminder) and delivered after commit by a Celery task; its ``status`` is the
truth about delivery. In-app rows need no delivery: they are ``sent`` when
written and carry the read state.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


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


class Kind(models.TextChoices):
    SUBMIT = "submit", "提交审核"
    APPROVE = "approve", "审核通过"
    PUBLISH = "publish", "已公开"
    RETURN = "return", "退回修改"
    WITHDRAW = "withdraw", "撤回"
    REASSIGN = "reassign", "转办"
    NUDGE = "nudge", "催办"
    SPEND_REMINDER = "spend_reminder", "填报提醒"
    SPEND_WARNING = "spend_warning", "支出预警"
    SPEND_DIGEST = "spend_digest", "预警汇总"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", null=True, blank=True, on_delete=models.CASCADE,
        related_name="notifications", help_text="群机器人消息没有个人接收人",
    )
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    sheet = models.ForeignKey(
        "projects.TargetSheet", verbose_name="绩效目标表", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    url = models.URLField("链接", max_length=500, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    next_attempt_at = models.DateTimeField("下次尝试时间", null=True, blank=True)
    claimed_at = models.DateTimeField("开始投递时间", null=True, blank=True)
    dedupe_key = models.CharField("去重键", max_length=200)
    created = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

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
    def is_read(self) -> bool:
        return self.read_at is not None


class Preference(models.Model):
    """Which channels a user wants besides the in-app notification centre (always on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="notification_preference"
    )
    wecom_userid = models.CharField("企业微信账号（userid）", max_length=64, blank=True)
    email_enabled = models.BooleanField("接收电子邮件", default=True)
    wecom_enabled = models.BooleanField("接收企业微信消息", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知偏好"

    def __str__(self):
        return f"{self.user} 的通知偏好"
