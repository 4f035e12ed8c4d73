"""WeCom (企业微信) application-message client, Redis token store and rate limiter.

The client never sleeps or retries on its own (except the single token refresh):
it raises ``WeComError`` with ``temporary`` set, and the caller decides whether to
retry. ``notifications.delivery`` is that caller: it takes a ``RateLimiter`` slot per
member, sends, and turns a temporary error into a retry with backoff.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol

import httpx
import redis

from .text import cut_to_bytes

TEXT_LIMIT = 2048
TEXTCARD_TITLE_LIMIT = 128
TEXTCARD_DESCRIPTION_LIMIT = 512
MAX_USERS_PER_MESSAGE = 1000
MEMBER_RATE_LIMIT = 30  # messages a minute to one member
MEMBER_RATE_PREFIX = "targetflow:wecom:rate:member:"

TEMPORARY_ERRCODES = frozenset({-1, 45009})
TOKEN_ERRCODES = frozenset({40014, 41001, 42001})


class WeComError(Exception):
    """A failed WeCom call. ``errcode`` is None for network/HTTP failures.

    ``temporary`` is True for -1, 45009, token errors, network errors, timeouts and
    HTTP 5xx (retry later); False for configuration errors (40001, 40013, 60020,
    93000), 81013 and anything unknown.
    """

    def __init__(self, errcode: int | None, errmsg: str, *, temporary: bool | None = None) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        if temporary is None:
            temporary = errcode in TEMPORARY_ERRCODES or errcode in TOKEN_ERRCODES
        self.temporary = temporary
        super().__init__(f"企业微信接口错误 errcode={errcode}：{errmsg}")


@dataclass(frozen=True)
class SendResult:
    msgid: str
    invalid_users: list[str] = field(default_factory=list)
    response_code: str = ""  # template cards with buttons: updates the card once, within 72 hours (path 94888)


def request_json(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    timeout: float,
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Call a WeCom endpoint and return its JSON answer; raise ``WeComError`` unless errcode is 0."""
    content = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else None
    try:
        response = http.request(method, url, params=params, content=content, headers=headers, timeout=timeout)
    except httpx.RequestError as exc:
        reason = f"网络请求失败（{type(exc).__name__}：{exc}）"
        raise WeComError(None, reason, temporary=isinstance(exc, httpx.TransportError)) from exc
    if response.status_code != 200:
        raise WeComError(None, f"HTTP 状态码 {response.status_code}", temporary=response.status_code >= 500)
    try:
        data = response.json()
    except ValueError as exc:
        raise WeComError(None, "响应不是合法的 JSON", temporary=True) from exc
    if not isinstance(data, dict):
        raise WeComError(None, "响应不是 JSON 对象", temporary=True)
    errcode = int(data.get("errcode", 0))
    if errcode != 0:
        raise WeComError(errcode, str(data.get("errmsg", "")))
    return data


class TokenStore(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl_seconds: int) -> None: ...
    def delete(self, key: str) -> None: ...


class RedisTokenStore:
    """Access tokens in Redis, shared by all workers."""

    def __init__(self, redis_client: redis.Redis, prefix: str = "targetflow:wecom:token:") -> None:
        self.redis = redis_client
        self.prefix = prefix

    def get(self, key: str) -> str | None:
        value = self.redis.get(self.prefix + key)
        return value.decode() if isinstance(value, bytes) else value

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        self.redis.set(self.prefix + key, value, ex=ttl_seconds)

    def delete(self, key: str) -> None:
        self.redis.delete(self.prefix + key)


class RateLimiter:
    """Fixed one-window counter in Redis (INCR + EXPIRE), one counter per key.

    Members: ``RateLimiter(r, limit=MEMBER_RATE_LIMIT, prefix=MEMBER_RATE_PREFIX)`` keyed by user id.
    Robots: ``RateLimiter(r, limit=ROBOT_RATE_LIMIT, prefix=ROBOT_RATE_PREFIX)`` keyed by
    ``robot_rate_key(webhook_key)`` (see robot.py), so the secret key is not stored.
    """

    def __init__(
        self, redis_client: redis.Redis, limit: int = MEMBER_RATE_LIMIT, window: int = 60,
        prefix: str = MEMBER_RATE_PREFIX,
    ) -> None:
        self.redis = redis_client
        self.limit = limit
        self.window = window
        self.prefix = prefix

    def acquire(self, key: str) -> bool:
        """Count one message for ``key``; False if the current window is already full."""
        bucket = int(time.time() // self.window)
        redis_key = f"{self.prefix}{key}:{bucket}"
        pipe = self.redis.pipeline()
        pipe.incr(redis_key)
        pipe.expire(redis_key, self.window * 2)
        count, _ = pipe.execute()
        return int(count) <= self.limit

    def acquire_many(self, keys: list[str]) -> dict[str, bool]:
        """``acquire`` for each of ``keys`` in one pipeline (one Redis round trip): key → slot taken?"""
        bucket = int(time.time() // self.window)
        pipe = self.redis.pipeline()
        for key in keys:
            pipe.incr(f"{self.prefix}{key}:{bucket}")
            pipe.expire(f"{self.prefix}{key}:{bucket}", self.window * 2)
        counts = pipe.execute()[::2]
        return {key: int(count) <= self.limit for key, count in zip(keys, counts)}

    def retry_after(self) -> int:
        """Seconds until the current window ends (a countdown for a retry)."""
        return int(self.window - time.time() % self.window) + 1


def _join_users(touser: Iterable[str]) -> str:
    if isinstance(touser, str):
        raise TypeError("touser 必须是用户 ID 列表，而不是字符串")
    users = list(dict.fromkeys(u for u in touser if u))
    if not users:
        raise ValueError("touser 不能为空")
    if len(users) > MAX_USERS_PER_MESSAGE:
        raise ValueError(f"单条消息最多 {MAX_USERS_PER_MESSAGE} 个接收人，实际 {len(users)} 个，请分批发送")
    return "|".join(users)


class WeComClient:
    """Client for one WeCom application (corp id + secret + agent id)."""

    def __init__(
        self,
        *,
        base_url: str,
        corp_id: str,
        secret: str,
        agent_id: int,
        token_store: TokenStore,
        timeout: float = 5.0,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = int(agent_id)
        self.token_store = token_store
        self.timeout = timeout
        self._http = http or httpx.Client()
        self._owns_http = http is None

    @property
    def token_key(self) -> str:
        return f"{self.corp_id}:{self.agent_id}"

    def access_token(self) -> str:
        """The cached access token, fetched from WeCom when missing."""
        return self.token_store.get(self.token_key) or self._fetch_token()

    def invalidate_token(self) -> None:
        self.token_store.delete(self.token_key)

    def send_text(self, touser: list[str], content: str) -> SendResult:
        """Send a text message (cut to 2048 bytes) to at most 1000 users."""
        return self._send(touser, "text", {"content": cut_to_bytes(content, TEXT_LIMIT)})

    def send_textcard(
        self, touser: list[str], *, title: str, description: str, url: str, btntxt: str = "详情"
    ) -> SendResult:
        """Send a text card (title ≤ 128 bytes, description ≤ 512 bytes, cut if longer)."""
        card = {
            "title": cut_to_bytes(title, TEXTCARD_TITLE_LIMIT, marker="…"),
            "description": cut_to_bytes(description, TEXTCARD_DESCRIPTION_LIMIT),
            "url": url,
            "btntxt": btntxt,
        }
        return self._send(touser, "textcard", card)

    def send_template_card(self, touser: list[str], card: dict[str, Any]) -> SendResult:
        """Send a template card (path 90236, ``msgtype: template_card``); the answer carries its ``response_code``."""
        return self._send(touser, "template_card", card)

    def update_template_card(self, *, userids: list[str], response_code: str, replace_name: str) -> None:
        """Turn the card's buttons into one grey, untappable button saying ``replace_name`` (path 94888).

        ``response_code`` is used up by this call (one use, valid 72 hours)."""
        body = {
            "userids": list(userids), "agentid": self.agent_id, "response_code": response_code,
            "button": {"replace_name": replace_name},
        }
        self._with_token("POST", "/cgi-bin/message/update_template_card", body=body)

    def getuserinfo(self, code: str) -> dict[str, Any]:
        """Who signed in with the OAuth ``code`` (``/cgi-bin/auth/getuserinfo``): ``userid`` for a member of the
        corp, ``openid`` otherwise. An invalid, used or expired code raises ``WeComError`` 40029."""
        return self._with_token("GET", "/cgi-bin/auth/getuserinfo", params={"code": code})

    def _with_token(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: dict | None = None):
        def call():
            return request_json(
                self._http, method, f"{self.base_url}{path}", timeout=self.timeout,
                params={"access_token": self.access_token(), **(params or {})}, body=body,
            )

        try:
            return call()
        except WeComError as exc:
            if exc.errcode not in TOKEN_ERRCODES:
                raise
            self.invalidate_token()
            return call()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> WeComClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _fetch_token(self) -> str:
        data = request_json(
            self._http, "GET", f"{self.base_url}/cgi-bin/gettoken", timeout=self.timeout,
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )
        token = data.get("access_token")
        if not token:
            raise WeComError(None, "gettoken 未返回 access_token", temporary=True)
        ttl = max(int(data.get("expires_in", 7200)) - 300, 60)
        self.token_store.set(self.token_key, token, ttl)
        return str(token)

    def _send(self, touser: list[str], msgtype: str, payload: dict[str, Any]) -> SendResult:
        body = {"touser": _join_users(touser), "msgtype": msgtype, "agentid": self.agent_id, msgtype: payload}
        try:
            data = self._post_message(body)
        except WeComError as exc:
            if exc.errcode not in TOKEN_ERRCODES:
                raise
            self.invalidate_token()
            data = self._post_message(body)
        invalid = str(data.get("invaliduser") or "")
        return SendResult(
            msgid=str(data.get("msgid", "")), invalid_users=[u for u in invalid.split("|") if u],
            response_code=str(data.get("response_code") or ""),
        )

    def _post_message(self, body: dict[str, Any]) -> dict[str, Any]:
        return request_json(
            self._http, "POST", f"{self.base_url}/cgi-bin/message/send", timeout=self.timeout,
            params={"access_token": self.access_token()}, body=body,
        )
