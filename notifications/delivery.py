"""Send one outbox row on its channel: e-mail, WeCom application message or WeCom group robot.

Every failure comes out as ``DeliveryError`` (temporary or permanent, with a
Chinese reason) or ``RateLimited``; the outbox service decides what to do.
"""

from __future__ import annotations

import contextlib
import functools
import os
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


NO_WECOM_USERID = "接收人未设置企业微信账号（userid），请单位管理员在“企业微信账号”中设置。"
WECOM_NOT_CONFIGURED = "系统未配置企业微信应用（WECOM_CORP_ID / WECOM_SECRET / WECOM_AGENT_ID）。"


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
    """One row: ``send_wecom_group`` of one, raising its outcome."""
    error = send_wecom_group([notification])[notification.pk]
    if error is not None:
        raise error


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
    """A new client of the site's WeCom application (close it: ``with wecom_client() as client``), with its access
    token shared through Redis (or the cache). Delivery uses one shared client per worker process instead."""
    return WeComClient(
        base_url=settings.WECOM_BASE_URL, corp_id=settings.WECOM_CORP_ID, secret=settings.WECOM_SECRET,
        agent_id=settings.WECOM_AGENT_ID, token_store=_token_store(), timeout=settings.WECOM_TIMEOUT,
    )


def _wecom_send(client: WeComClient, userids: list[str], notification: Notification):
    if notification.url:
        # the description is read as HTML by WeCom: the body (users' comments) is text; the link signs in through WeCom
        return client.send_textcard(
            userids, title=notification.title, description=escape_html(notification.body), url=cards.wecom_link(notification.url),
        )
    return client.send_text(userids, f"{notification.title}\n{notification.body}")


def wecom_userid(notification: Notification) -> str:
    preference = getattr(notification.recipient, "notification_preference", None)
    return preference.wecom_userid.strip() if preference else ""


def wecom_message_key(notification: Notification) -> tuple:
    """Rows with the same key carry the same WeCom message: one send addresses all their recipients."""
    return (notification.title, notification.body, notification.url)


def send_wecom_group(rows: list[Notification]) -> dict[int, Exception | None]:
    """One WeCom application message to the recipients of ``rows`` (same ``wecom_message_key``, at most
    ``MAX_USERS_PER_MESSAGE`` of them): ``touser`` joins their ids with '|'. Each member's per-minute slot is taken
    in one Redis round trip. A reviewer whose task it is gets their own approval card instead (a card is recorded
    per recipient for the tap). Returns each row's outcome: None (sent), ``DeliveryError`` or ``RateLimited``."""
    outcome: dict[int, Exception | None] = {}
    by_user: dict[str, list[Notification]] = {}
    for row in rows:
        userid = wecom_userid(row)
        if not userid:
            outcome[row.pk] = DeliveryError(NO_WECOM_USERID, temporary=False)
        else:
            by_user.setdefault(userid, []).append(row)
    if not wecom_configured():
        error = DeliveryError(WECOM_NOT_CONFIGURED, temporary=False)
        return {**outcome, **{row.pk: error for row in rows}}
    try:
        allowed = _acquire_many(MEMBER_RATE_LIMIT, "rate:member:", list(by_user))
    except DeliveryError as exc:
        return {**outcome, **{row.pk: exc for group in by_user.values() for row in group}}
    for userid, retry_after in allowed.items():
        if retry_after is not None:
            outcome.update({row.pk: RateLimited(retry_after) for row in by_user.pop(userid)})
    client = _wecom_client()
    plain: dict[str, list[Notification]] = {}
    for userid, group in by_user.items():
        card = cards.approval_card(group[0], userid)
        if card is None:
            plain[userid] = group
            continue
        try:
            with _wecom_errors():
                _send_card(client, userid, card)
        except DeliveryError as exc:
            outcome.update({row.pk: exc for row in group})
        else:
            outcome.update({row.pk: None for row in group})
    if not plain:
        return outcome
    try:
        with _wecom_errors():
            result = _wecom_send(client, list(plain), next(iter(plain.values()))[0])
    except DeliveryError as exc:
        return {**outcome, **{row.pk: exc for group in plain.values() for row in group}}
    invalid = set(result.invalid_users)
    for userid, group in plain.items():
        error = DeliveryError(WECOM_REASONS[81013] + "。", temporary=False) if userid in invalid else None
        outcome.update({row.pk: error for row in group})
    return outcome


@functools.lru_cache(maxsize=4)
def _shared_client(configuration: tuple, pid: int) -> WeComClient:
    """One client (one HTTP connection pool and TLS context) per worker process and configuration: the arguments
    are only the cache key (a forked worker, or changed settings, build their own)."""
    return wecom_client()


def _wecom_client() -> WeComClient:
    configuration = (settings.WECOM_BASE_URL, settings.WECOM_CORP_ID, settings.WECOM_SECRET, settings.WECOM_AGENT_ID,
                     settings.WECOM_TIMEOUT)
    return _shared_client(configuration, os.getpid())


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


def _acquire_many(limit: int, kind: str, keys: list[str]) -> dict[str, int | None]:
    """``_acquire`` for many keys in one Redis round trip: key → None (slot taken) or seconds until a retry."""
    if not settings.REDIS_URL:
        return dict.fromkeys(keys)
    limiter = RateLimiter(_redis(settings.REDIS_URL), limit=limit, prefix=settings.WECOM_REDIS_PREFIX + kind)
    try:
        allowed = limiter.acquire_many(keys)
    except redis.RedisError as exc:
        raise DeliveryError(f"无法连接 Redis 检查发送频率：{exc}", temporary=True) from exc
    return {key: None if ok else limiter.retry_after() for key, ok in allowed.items()}


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
