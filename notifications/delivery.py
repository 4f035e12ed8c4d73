"""Send one outbox row on its channel: e-mail, WeCom application message or WeCom group robot.

Every failure comes out as ``DeliveryError`` (temporary or permanent, with a
Chinese reason) or ``RateLimited``; the outbox service decides what to do.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.cache import cache

from notifications.channels.email import send_email
from notifications.channels.errors import DeliveryError, RateLimited
from notifications.channels.robot import ROBOT_RATE_LIMIT, RobotClient, robot_rate_key
from notifications.channels.text import escape_html, escape_markdown
from notifications.channels.wecom import (
    MAX_USERS_PER_MESSAGE,
    MEMBER_HOURLY,
    MEMBER_RATE_LIMIT,
    TOKEN_ERRCODES,
    RateLimiter,
    RedisTokenStore,
    Slots,
    WeComClient,
    WeComError,
)
from notifications import cards
from notifications.models import Channel, Notification, WeComCard

logger = logging.getLogger(__name__)

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
    """One row: ``send_wecom_rows`` of one, raising its outcome."""
    error = send_wecom_rows([notification])[notification.pk]
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


def send_wecom_rows(rows: list[Notification]) -> dict[int, Exception | None]:
    """The WeCom application rows of one delivery batch: rows carrying the same message (``wecom_message_key``) go
    out as one send whose ``touser`` joins their recipients' ids with '|' (at most ``MAX_USERS_PER_MESSAGE`` a send).

    Every member's slots for the whole batch (one per distinct message to them) are taken in one Redis round trip,
    within both of WeCom's per-member limits (30 a minute, 1,000 an hour); a member whose limit is full waits
    for those of their messages that did not fit, the others go out. A reviewer whose task it is gets their own
    approval card instead of the plain message (a card is recorded per recipient for the tap). Returns each
    row's outcome: None (sent), ``DeliveryError`` or ``RateLimited``."""
    outcome: dict[int, Exception | None] = {}
    if not wecom_configured():
        error = DeliveryError(WECOM_NOT_CONFIGURED, temporary=False)
        return {row.pk: error for row in rows}
    messages: dict[tuple, dict[str, list[Notification]]] = {}  # message → member → their rows with it
    for row in rows:
        userid = wecom_userid(row)
        if not userid:
            outcome[row.pk] = DeliveryError(NO_WECOM_USERID, temporary=False)
        else:
            messages.setdefault(wecom_message_key(row), {}).setdefault(userid, []).append(row)
    wanted: dict[str, int] = {}
    for members in messages.values():
        for userid in members:
            wanted[userid] = wanted.get(userid, 0) + 1
    try:
        slots = _take_member_slots(wanted)
    except DeliveryError as exc:
        return {**outcome, **{row.pk: exc for members in messages.values() for group in members.values() for row in group}}
    for members in messages.values():
        for userid in list(members):
            slot = slots[userid]
            if slot.granted > 0:
                slots[userid] = Slots(slot.granted - 1, slot.retry_after)
            else:
                outcome.update({row.pk: RateLimited(slot.retry_after) for row in members.pop(userid)})
    client = _wecom_client()
    pending = list(messages.values())
    sends: list[tuple[list[str], dict]] = []  # the plain messages' sends, made after every card
    while pending:
        members = pending.pop(0)
        try:
            card_outcome, plain = _send_cards(client, members)
        except _ChannelDown as down:
            # WeCom is unreachable, busy or refuses the application: the other messages would only fail the same way
            outcome.update(down.outcome)
            outcome.update({row.pk: down.error for rest in pending for group in rest.values() for row in group})
            outcome.update({row.pk: down.error for userids, group in sends for u in userids for row in group[u]})
            return outcome
        outcome.update(card_outcome)
        sends += [(plain[i:i + MAX_USERS_PER_MESSAGE], members) for i in range(0, len(plain), MAX_USERS_PER_MESSAGE)]
    outcome.update(_send_plain_all(client, sends))
    return outcome


# errors about the application or the channel, not about one message or its recipients
CHANNEL_ERRCODES = frozenset({40001, 40013, 60020})


class _ChannelDown(Exception):
    def __init__(self, error: DeliveryError, outcome: dict) -> None:
        super().__init__(error.reason)
        self.error = error
        self.outcome = outcome


def _channel_down(exc: DeliveryError) -> bool:
    cause = exc.__cause__
    return exc.temporary or (isinstance(cause, WeComError) and cause.errcode in CHANNEL_ERRCODES)


def _send_cards(client: WeComClient, members: dict[str, list[Notification]]) -> tuple[dict, list[str]]:
    """The approval cards of one message (the same content in every row), one send per reviewer it is for (each card
    is recorded before it goes). Their rows' outcomes, and the members who get the plain message instead."""
    outcome: dict[int, Exception | None] = {}
    plain: list[str] = []
    for userid, group in members.items():
        try:
            card = cards.approval_card(group[0], userid)
            if card is None:
                plain.append(userid)
                continue
            with _wecom_errors():
                _send_card(client, userid, card)
        except DeliveryError as exc:
            outcome.update({row.pk: exc for row in group})
            if _channel_down(exc):
                _stop(exc, outcome, members)
        except Exception as exc:  # a bug or an unforeseen outage: these rows are retried, the others keep their outcome
            logger.exception("企业微信审批卡片发送出错")
            outcome.update({row.pk: exc for row in group})
        else:
            outcome.update({row.pk: None for row in group})
    return outcome, plain


def _send_plain_all(client: WeComClient, sends: list[tuple[list[str], dict]]) -> dict[int, Exception | None]:
    """The plain messages of a batch: the first send alone (an outage or a refused application then costs one call),
    the rest ``WECOM_SEND_THREADS`` at a time, since each send mostly waits for WeCom's answer. Once one finds the
    channel down, the sends not started yet are not made and their rows share its error."""
    outcome: dict[int, Exception | None] = {}
    if not sends:
        return outcome
    down: list[DeliveryError] = []

    def one(send) -> dict[int, Exception | None]:
        userids, members = send
        if down:
            return {row.pk: down[0] for userid in userids for row in members[userid]}
        result, channel_error = _send_plain(client, userids, members)
        if channel_error is not None:
            down.append(channel_error)
        return result

    outcome.update(one(sends[0]))
    threads = min(settings.WECOM_SEND_THREADS, len(sends) - 1)
    if threads <= 1:
        for send in sends[1:]:
            outcome.update(one(send))
    else:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wecom-send") as pool:
            for result in pool.map(one, sends[1:]):
                outcome.update(result)
    return outcome


def _send_plain(client: WeComClient, userids: list[str], members: dict) -> tuple[dict, DeliveryError | None]:
    """One plain send to ``userids`` (no database work: it may run on a sending thread). Its rows' outcomes, and the
    error when it found the channel down."""
    rows = [row for userid in userids for row in members[userid]]
    try:
        with _wecom_errors():
            result = _wecom_send(client, userids, members[userids[0]][0])
    except DeliveryError as exc:
        return {row.pk: exc for row in rows}, (exc if _channel_down(exc) else None)
    except Exception as exc:  # a bug or an unforeseen outage: these rows are retried, the others keep their outcome
        logger.exception("企业微信消息发送出错")
        return {row.pk: exc for row in rows}, None
    invalid = set(result.invalid_users)
    outcome: dict[int, Exception | None] = {}
    for userid in userids:
        error = DeliveryError(WECOM_REASONS[81013] + "。", temporary=False) if userid in invalid else None
        outcome.update({row.pk: error for row in members[userid]})
    return outcome, None


def _stop(error: DeliveryError, outcome: dict, members: dict[str, list[Notification]]) -> None:
    """Give up the rest of the batch: the rows of ``members`` not sent yet share ``error``."""
    rest = {row.pk: error for group in members.values() for row in group if row.pk not in outcome}
    raise _ChannelDown(error, {**outcome, **rest})


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
    document = notification.document
    section = document.section if document is not None and document.section_id else None
    key = section.wecom_robot_key.strip() if section else ""
    if not key:
        raise DeliveryError("该科室未配置企业微信群机器人。", temporary=False)
    _acquire(ROBOT_RATE_LIMIT, "rate:robot:", robot_rate_key(key))
    # title and body carry users' text (titles, comments): escaped, so only our own link is markup
    content = f"**{escape_markdown(notification.title)}**\n{escape_markdown(notification.body)}"
    if notification.url:
        # tapped inside WeCom: through its silent sign-in when the application is set up (a robot alone has no OAuth)
        link = cards.wecom_link(notification.url) if wecom_configured() else notification.url
        content += f"\n[打开办理]({link})"
    with _wecom_errors():
        _shared_robot_client(settings.WECOM_BASE_URL, settings.WECOM_TIMEOUT, os.getpid()).send_markdown(key, content)


@functools.lru_cache(maxsize=4)
def _shared_robot_client(base_url: str, timeout: float, pid: int) -> RobotClient:
    """One robot client (one connection pool) per worker process and configuration, as ``_shared_client``."""
    return RobotClient(base_url=base_url, timeout=timeout)


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


def _take_member_slots(wanted: dict[str, int]) -> dict[str, Slots]:
    """``wanted[userid]`` messages for each member within WeCom's per-member limits, in one Redis round trip."""
    if not settings.REDIS_URL:
        return {key: Slots(count) for key, count in wanted.items()}
    limiter = RateLimiter(
        _redis(settings.REDIS_URL), limit=MEMBER_RATE_LIMIT, prefix=settings.WECOM_REDIS_PREFIX + "rate:member:",
        also=MEMBER_HOURLY,
    )
    try:
        return limiter.take(wanted)
    except redis.RedisError as exc:
        raise DeliveryError(f"无法连接 Redis 检查发送频率：{exc}", temporary=True) from exc


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
