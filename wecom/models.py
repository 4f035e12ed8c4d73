"""What the WeCom doors remember: codes already exchanged, callbacks already seen, who set whose WeCom id.

A WeCom id is a sign-in identity. Who may move it, and how, is ``wecom.services`` (the only writer of
``notifications.Preference.wecom_userid``): an id that ever signed someone in (``UsedWeComId``) is never bound to
anyone else by an agency administrator; an administrator's binding is an ``IdChangeRequest`` that takes effect only
when the person confirms it from inside WeCom with that very account; a change for someone holding open review tasks
first needs a second administrator; every step is an ``AccountChange`` and a notice to the person.
"""

from django.conf import settings
from django.db import models


class UsedOAuthCode(models.Model):
    """A sign-in code (网页授权 code) already exchanged: a second use signs no one in, whatever WeCom says."""

    digest = models.CharField("code 的 SHA-256", max_length=64, unique=True)
    used_at = models.DateTimeField("使用时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "已使用的企业微信登录 code"


class SeenCallback(models.Model):
    """A callback already accepted (its signature, and its timestamp + nonce): the same request again is a replay."""

    signature = models.CharField("msg_signature", max_length=64, unique=True)
    nonce_key = models.CharField("timestamp:nonce", max_length=200, unique=True)
    received = models.DateTimeField("接收时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "已接收的企业微信回调"


class UsedWeComId(models.Model):
    """A WeCom id that signed ``person`` in, approved a card as them, was confirmed by them, or was theirs (replaced,
    cleared, or bound when this record began): from then on an agency administrator cannot bind it to anyone else."""

    class How(models.TextChoices):
        SIGNIN = "signin", "企业微信免密登录"
        CARD = "card", "企业微信卡片办理"
        CONFIRM = "confirm", "本人在企业微信中确认"
        BOUND = "bound", "曾关联（已更换、清除或启用本记录时已关联）"

    userid = models.CharField("企业微信账号（小写）", max_length=64)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="人员", on_delete=models.PROTECT, related_name="+")
    how = models.CharField("首次使用方式", max_length=10, choices=How.choices)
    first_used = models.DateTimeField("首次使用时间", auto_now_add=True)
    last_used = models.DateTimeField("最近使用时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "使用过的企业微信账号"
        ordering = ["userid", "first_used"]
        constraints = [models.UniqueConstraint(fields=["userid", "person"], name="used_wecom_id_once_per_person")]

    def __str__(self):
        return f"{self.userid} → {self.person}"


class IdChangeRequest(models.Model):
    """An agency administrator's change of someone's WeCom id, not yet in effect.

    A new id takes effect only when the person, signed in here as themself, confirms it from inside WeCom signed in
    with that id (``services.wecom_binding_confirm``). For someone holding open review tasks the change (set, clear or
    replace) first waits for a second administrator, never the requester nor the person."""

    class Status(models.TextChoices):
        AWAITING_ADMIN = "awaiting_admin", "待另一位管理员确认"
        AWAITING_PERSON = "awaiting_person", "待本人确认"
        DONE = "done", "已生效"
        DECLINED = "declined", "本人已拒绝"
        CANCELLED = "cancelled", "已撤回"

    OPEN = (Status.AWAITING_ADMIN, Status.AWAITING_PERSON)

    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="人员", on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("projects.Agency", verbose_name="单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    old = models.CharField("申请时的企业微信账号", max_length=64, blank=True)
    new = models.CharField("新企业微信账号", max_length=64, blank=True, help_text="为空表示清除")
    status = models.CharField("状态", max_length=20, choices=Status.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人", null=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="确认的管理员", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    created = models.DateTimeField("申请时间", auto_now_add=True)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "企业微信账号变更申请"
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status__in=["awaiting_admin", "awaiting_person"]),
                name="id_change_request_one_open_per_person",
            ),
        ]

    def __str__(self):
        return f"{self.person}：{self.old or '（无）'} → {self.new or '（清除）'}，{self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class AccountChange(models.Model):
    """A step in the life of a person's WeCom id (who may sign in as them from WeCom): a change, a request, its
    confirmation or refusal. The person is told of each (``wecom.services``)."""

    class Kind(models.TextChoices):
        SET = "set", "设置"
        CLEAR = "clear", "清除"
        REQUEST = "request", "申请变更"
        APPROVE = "approve", "另一位管理员确认"
        CONFIRM = "confirm", "本人确认生效"
        DECLINE = "decline", "本人拒绝"
        CANCEL = "cancel", "撤回申请"

    kind = models.CharField("变更", max_length=10, choices=Kind.choices, default=Kind.SET)
    request = models.ForeignKey(
        IdChangeRequest, verbose_name="变更申请", null=True, blank=True, on_delete=models.SET_NULL, related_name="changes",
    )
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="人员", on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("projects.Agency", verbose_name="单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    old = models.CharField("原企业微信账号", max_length=64, blank=True)
    new = models.CharField("新企业微信账号", max_length=64, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "企业微信账号变更记录"
        ordering = ["-created", "-id"]
