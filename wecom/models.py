"""What the WeCom doors remember: codes already exchanged, callbacks already seen, who set whose WeCom id."""

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


class AccountChange(models.Model):
    """An administrator set or cleared a person's WeCom id (who may sign in as them from WeCom)."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="人员", on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("projects.Agency", verbose_name="单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    old = models.CharField("原企业微信账号", max_length=64, blank=True)
    new = models.CharField("新企业微信账号", max_length=64, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "企业微信账号变更记录"
        ordering = ["-created", "-id"]
