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
MEMBER_HOURLY = ((1000, 3600),)  # and at most 1,000 an hour (more are dropped silently by WeCom)
MEMBER_RATE_PREFIX = "targetflow:wecom:rate:member:"

TOKEN_REUSE_SECONDS = 60  # a client reads the shared token again after this long (tokens live 7,200 s)

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


# Take up to the wanted number of slots for each member in every window at once, or as many as all its windows have
# room for; a refused message is not counted. KEYS: ``nwin`` counters per member; ARGV: nwin, (limit, ttl) per window,
# then the wanted count per member. Answers [granted, index of the window that ran out (0: none)] per member.
_TAKE_SLOTS = """
local nwin = tonumber(ARGV[1])
local members = #KEYS / nwin
local result = {}
for m = 1, members do
  local grant = tonumber(ARGV[1 + 2 * nwin + m])
  local full = 0
  for w = 1, nwin do
    local used = tonumber(redis.call('GET', KEYS[(m - 1) * nwin + w]) or '0')
    local room = tonumber(ARGV[2 * w]) - used
    if room < grant then
      grant = math.max(room, 0)
      full = w
    end
  end
  if grant > 0 then
    for w = 1, nwin do
      local key = KEYS[(m - 1) * nwin + w]
      redis.call('INCRBY', key, grant)
      redis.call('EXPIRE', key, tonumber(ARGV[2 * w + 1]))
    end
  end
  result[m] = {grant, full}
end
return result
"""


@dataclass(frozen=True)
class Slots:
    """What ``RateLimiter.take`` granted one key: ``granted`` messages now; the rest wait ``retry_after`` seconds."""

    granted: int
    retry_after: int | None = None


class RateLimiter:
    """Fixed-window counters in Redis, one per key and window, checked and taken in one atomic script.

    Members: ``RateLimiter(r, limit=MEMBER_RATE_LIMIT, prefix=MEMBER_RATE_PREFIX, also=MEMBER_HOURLY)`` keyed by
    user id (30 a minute and 1,000 an hour). Robots: ``RateLimiter(r, limit=ROBOT_RATE_LIMIT, prefix=ROBOT_RATE_PREFIX)``
    keyed by ``robot_rate_key(webhook_key)`` (see robot.py), so the secret key is not stored. A message the
    limits refuse is not counted (its retry later is).
    """

    def __init__(
        self, redis_client: redis.Redis, limit: int = MEMBER_RATE_LIMIT, window: int = 60,
        prefix: str = MEMBER_RATE_PREFIX, *, also: tuple[tuple[int, int], ...] = (),
    ) -> None:
        self.redis = redis_client
        self.limit = limit
        self.window = window
        self.prefix = prefix
        self.windows = ((limit, window), *also)  # (limit, seconds)
        self._script = redis_client.register_script(_TAKE_SLOTS)

    def _keys(self, key: str, now: float) -> list[str]:
        # the first window keeps its historical key (``prefix + key + ":" + minute``): counters survive a deploy
        return [
            f"{self.prefix}{key}:{int(now // window)}" if index == 0 else f"{self.prefix}{key}:{window}s:{int(now // window)}"
            for index, (_, window) in enumerate(self.windows)
        ]

    def take(self, wanted: dict[str, int]) -> dict[str, Slots]:
        """Up to ``wanted[key]`` messages for each key, in one Redis round trip: key → ``Slots``."""
        wanted = {key: count for key, count in wanted.items() if count > 0}
        if not wanted:
            return {}
        now = time.time()
        keys = [counter for key in wanted for counter in self._keys(key, now)]
        args = [len(self.windows)]
        for limit, window in self.windows:
            args += [limit, window * 2]
        args += list(wanted.values())
        answers = self._script(keys=keys, args=args)
        result = {}
        for key, (granted, full) in zip(wanted, answers):
            granted, full = int(granted), int(full)
            result[key] = Slots(granted, None if full == 0 else self._until_next(self.windows[full - 1][1], now))
        return result

    def acquire(self, key: str) -> bool:
        """Count one message for ``key``; False (and not counted) if one of its windows is already full."""
        return self.take({key: 1})[key].granted == 1

    def acquire_many(self, keys: list[str]) -> dict[str, bool]:
        """``acquire`` for each of ``keys`` in one Redis round trip: key → slot taken?"""
        return {key: slots.granted == 1 for key, slots in self.take(dict.fromkeys(keys, 1)).items()}

    def retry_after(self) -> int:
        """Seconds until the current (first) window ends (a countdown for a retry)."""
        return self._until_next(self.window, time.time())

    @staticmethod
    def _until_next(window: int, now: float) -> int:
        return int(window - now % window) + 1


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
        self._token: tuple[str, float] | None = None  # (token, monotonic time until which it is used without asking)

    @property
    def token_key(self) -> str:
        return f"{self.corp_id}:{self.agent_id}"

    def access_token(self) -> str:
        """The cached access token, fetched from WeCom when missing. The store (Redis, shared by every worker) is
        asked at most once per ``TOKEN_REUSE_SECONDS``, not once per send: the store's copy expires 300 s before
        WeCom's, and a token WeCom revoked earlier is dropped on its first refusal (``invalidate_token``)."""
        now = time.monotonic()
        if self._token is not None and now < self._token[1]:
            return self._token[0]
        token = self.token_store.get(self.token_key) or self._fetch_token()
        self._token = (token, now + TOKEN_REUSE_SECONDS)
        return token

    def invalidate_token(self) -> None:
        self._token = None
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
