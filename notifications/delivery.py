"""Send one outbox row on its channel: e-mail, WeCom application message or WeCom group robot.

Every failure comes out as ``DeliveryError`` (temporary or permanent, with a
Chinese reason) or ``RateLimited``; the outbox service decides what to do.
"""

from __future__ import annotations

import contextlib
import functools
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.cache import cache

from notifications.channels.email import send_email
from notifications.channels.errors import DeliveryError, RateLimited
from notifications.channels.robot import ROBOT_RATE_LIMIT, RobotClient, robot_rate_key
from notifications.channels.text import escape_html, escape_markdown
from notifications.channels.wecom import (
    MEMBER_RATE_LIMIT,
    TOKEN_ERRCODES,
    RateLimiter,
    RedisTokenStore,
    WeComClient,
    WeComError,
)
from notifications import cards
from notifications.models import Channel, Notification, WeComCard

WECOM_REASONS = {
    -1: "企业微信系统繁忙（-1），稍后重试",
    45009: "企业微信接口调用频率超限（45009），稍后重试",
    40001: "企业微信应用 Secret 配置错误（40001），请检查 WECOM_SECRET",
    40013: "企业微信企业 ID 配置错误（40013），请检查 WECOM_CORP_ID",
    60020: "服务器 IP 不在企业微信应用的可信 IP 列表中（60020）",
    81013: "接收人在企业微信中无效（81013），请核对其企业微信账号",
    93000: "群机器人 webhook key 无效（93000），请检查科室的群机器人设置",
}


def wecom_configured() -> bool:
    return bool(settings.WECOM_CORP_ID and settings.WECOM_SECRET and settings.WECOM_AGENT_ID)


def deliver(notification: Notification) -> None:
    """Send ``notification`` on its channel; return only when the channel accepted it."""
    if notification.channel == Channel.EMAIL:
        send_email(
            to=notification.recipient.email, subject=notification.title, body=_text_with_link(notification),
            message_id=message_id(notification),
        )
    elif notification.channel == Channel.WECOM:
        _send_wecom(notification)
    elif notification.channel == Channel.ROBOT:
        _send_robot(notification)
    # in-app rows are the message itself: nothing to send


def message_id(notification: Notification) -> str:
    """The same Message-ID on every attempt of one row: a copy sent twice (a revived interrupted send) shows once."""
    host = urlsplit(settings.SITE_URL).hostname or "targetflow.local"
    return f"<targetflow-notification-{notification.pk}@{host}>"


def _text_with_link(notification: Notification) -> str:
    if not notification.url:
        return notification.body
    return f"{notification.body}\n\n办理链接：{notification.url}"


def _send_wecom(notification: Notification) -> None:
    if not wecom_configured():
        raise DeliveryError("系统未配置企业微信应用（WECOM_CORP_ID / WECOM_SECRET / WECOM_AGENT_ID）。", temporary=False)
    preference = getattr(notification.recipient, "notification_preference", None)
    userid = preference.wecom_userid.strip() if preference else ""
    if not userid:
        raise DeliveryError("接收人未设置企业微信账号（userid），请单位管理员在“企业微信账号”中设置。", temporary=False)
    _acquire(MEMBER_RATE_LIMIT, "rate:member:", userid)
    client = wecom_client()
    with client, _wecom_errors():
        card = cards.approval_card(notification, userid)
        if card is not None:
            _send_card(client, userid, card)
        elif notification.url:
            # the description is read as HTML by WeCom: the body (users' comments) is text
            client.send_textcard(
                [userid], title=notification.title, description=escape_html(notification.body),
                url=cards.wecom_link(notification.url),
            )
        else:
            client.send_text([userid], f"{notification.title}\n{notification.body}")


def _send_card(client: WeComClient, userid: str, card: cards.Card) -> None:
    """Record the card first (a tap must find it), send it, keep its response code; a failed send leaves no record."""
    card.record.save()
    try:
        result = client.send_template_card([userid], card.payload)
    except BaseException:
        WeComCard.objects.filter(pk=card.record.pk).delete()
        raise
    WeComCard.objects.filter(pk=card.record.pk).update(response_code=result.response_code)


def wecom_client() -> WeComClient:
    """The site's WeCom application, with its access token shared through Redis (or the cache)."""
    return WeComClient(
        base_url=settings.WECOM_BASE_URL, corp_id=settings.WECOM_CORP_ID, secret=settings.WECOM_SECRET,
        agent_id=settings.WECOM_AGENT_ID, token_store=_token_store(), timeout=settings.WECOM_TIMEOUT,
    )


def _send_robot(notification: Notification) -> None:
    section = notification.sheet.section if notification.sheet_id else None
    key = section.wecom_robot_key.strip() if section else ""
    if not key:
        raise DeliveryError("该科室未配置企业微信群机器人。", temporary=False)
    _acquire(ROBOT_RATE_LIMIT, "rate:robot:", robot_rate_key(key))
    # title and body carry users' text (titles, comments): escaped, so only our own link is markup
    content = f"**{escape_markdown(notification.title)}**\n{escape_markdown(notification.body)}"
    if notification.url:
        content += f"\n[打开办理]({notification.url})"
    with RobotClient(base_url=settings.WECOM_BASE_URL, timeout=settings.WECOM_TIMEOUT) as client, _wecom_errors():
        client.send_markdown(key, content)


@contextlib.contextmanager
def _wecom_errors():
    """Turn ``WeComError`` into ``DeliveryError`` with a Chinese reason."""
    try:
        yield
    except WeComError as exc:
        if exc.errcode is None:
            reason = f"无法连接企业微信：{exc.errmsg}"
        elif exc.errcode in TOKEN_ERRCODES:
            reason = f"企业微信 access_token 无效或已过期（{exc.errcode}），重新获取后仍失败，稍后重试"
        else:
            reason = WECOM_REASONS.get(exc.errcode, f"企业微信返回错误（errcode={exc.errcode}：{exc.errmsg}）")
        raise DeliveryError(reason + "。", temporary=exc.temporary) from exc


@functools.lru_cache(maxsize=4)
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _acquire(limit: int, kind: str, key: str) -> None:
    """Count one message against the channel's per-minute limit (in Redis); raise ``RateLimited`` when full."""
    if not settings.REDIS_URL:
        return  # the embedded default (one process, no Redis): nothing to share a counter with
    limiter = RateLimiter(_redis(settings.REDIS_URL), limit=limit, prefix=settings.WECOM_REDIS_PREFIX + kind)
    try:
        allowed = limiter.acquire(key)
    except redis.RedisError as exc:
        raise DeliveryError(f"无法连接 Redis 检查发送频率：{exc}", temporary=True) from exc
    if not allowed:
        raise RateLimited(limiter.retry_after())


def _token_store():
    if settings.REDIS_URL:
        return RedisTokenStore(_redis(settings.REDIS_URL), prefix=settings.WECOM_REDIS_PREFIX + "token:")
    return _CacheTokenStore(settings.WECOM_REDIS_PREFIX + "token:")


class _CacheTokenStore:
    """Access tokens in Django's cache, for the embedded default without Redis."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def get(self, key: str) -> str | None:
        return cache.get(self.prefix + key)

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        cache.set(self.prefix + key, value, ttl_seconds)

    def delete(self, key: str) -> None:
        cache.delete(self.prefix + key)
