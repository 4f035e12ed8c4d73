"""A fake WeCom (企业微信) API server on loopback, for tests over real HTTP.

Speaks ``GET /cgi-bin/gettoken``, ``POST /cgi-bin/message/send?access_token=`` and
``POST /cgi-bin/webhook/send?key=``; every answer is JSON with ``errcode``/``errmsg``
(HTTP 200 unless a failure with another status is injected).

    with FakeWeComServer(users={"zhangsan", "lisi"}) as server:
        client = WeComClient(base_url=server.base_url, corp_id=server.corp_id, ...)
        server.fail_next(1, 45009)
        ...
        assert server.messages[0]["body"]["text"]["content"] == "…"

Errcodes answered: 40001 bad secret, 40013 bad corp id, 41002/41004 corpid/secret
missing, 41001 token missing, 40014 unknown token, 42001 expired token, 40056 bad
agentid, 40008 bad msgtype, 47001 body not JSON, 40035 required field missing or
malformed, 40031 more than 1000 users, 44004 empty content, 45002 content too long,
45003 title too long, 45004 description too long, 81013 every recipient invalid,
93000 unknown robot key.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GETTOKEN = "/cgi-bin/gettoken"
MESSAGE_SEND = "/cgi-bin/message/send"
WEBHOOK_SEND = "/cgi-bin/webhook/send"
SEND_PATHS = frozenset({MESSAGE_SEND, WEBHOOK_SEND})

ERRMSG = {
    -1: "system busy",
    40001: "invalid credential",
    40008: "invalid message type",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40031: "invalid userid list",
    40035: "invalid parameter",
    40056: "invalid agentid",
    41001: "access_token missing",
    41002: "corpid missing",
    41004: "corpsecret missing",
    42001: "access_token expired",
    44004: "empty content",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45009: "api freq out of limit",
    47001: "data format error",
    60020: "not allow to access from your ip",
    81013: "user & party & tag all invalid",
    93000: "invalid webhook url",
}

Answer = tuple[int, dict[str, Any]]


class _Rejected(Exception):
    def __init__(self, errcode: int, **extra: Any) -> None:
        super().__init__(errcode)
        self.errcode = errcode
        self.extra = extra


def _error(errcode: int, **extra: Any) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": ERRMSG.get(errcode, "error"), **extra}


def _nbytes(value: Any) -> int:
    return len(str(value).encode("utf-8"))


def _require_text(obj: Any, field: str, limit: int, too_long: int, *, empty: int = 40035) -> None:
    if not isinstance(obj, dict) or not isinstance(obj.get(field), str):
        raise _Rejected(40035)
    if not obj[field]:
        raise _Rejected(empty)
    if _nbytes(obj[field]) > limit:
        raise _Rejected(too_long)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        answer = self.server.fake._handle(method, url.path, query, raw)
        if answer is None:  # aborted while delayed (reset/stop): drop the connection
            self.close_connection = True
            return
        status, payload = answer
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeWeComServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that timed out close their socket; that is expected here


class FakeWeComServer:
    """Thread-safe fake of the WeCom endpoints targetflow uses."""

    def __init__(
        self,
        *,
        corp_id: str = "ww-fake-corp",
        secret: str = "fake-secret",
        agent_id: int = 1000002,
        users: set[str] | frozenset[str] | None = None,
        robot_keys: set[str] | frozenset[str] | None = None,
        token_ttl: int = 7200,
    ) -> None:
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id
        self.users = set(users if users is not None else {"zhangsan", "lisi", "wangwu"})
        self.robot_keys = set(robot_keys if robot_keys is not None else {"fake-robot-key"})
        self.token_ttl = token_ttl
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._clear()

    def _clear(self) -> None:
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._expired: set[str] = set()
        self._messages: list[dict[str, Any]] = []
        self._requests: list[dict[str, Any]] = []
        self._failures: list[list[Any]] = []  # [remaining, errcode, path, status]
        self._delays: list[list[Any]] = []  # [remaining, seconds, path]
        self._gettoken_calls = 0
        self._ids = itertools.count(1)
        self._wake = threading.Event()

    # lifecycle ---------------------------------------------------------------
    def start(self) -> FakeWeComServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-wecom", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._wake.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeWeComServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("fake WeCom server is not running")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # control -----------------------------------------------------------------
    def fail_next(self, n: int, errcode: int, *, path: str | None = None, status: int = 200) -> None:
        """Answer the next ``n`` sends (or requests to ``path``) with ``errcode`` (HTTP ``status``)."""
        with self._lock:
            self._failures.append([n, errcode, path, status])

    def delay_next(self, n: int, seconds: float, *, path: str | None = None) -> None:
        """Sleep ``seconds`` before answering the next ``n`` sends (or requests to ``path``)."""
        with self._lock:
            self._delays.append([n, seconds, path])

    def expire_tokens(self) -> None:
        """Expire every issued token (message/send then answers 42001)."""
        with self._lock:
            self._expired.update(self._tokens)
            self._tokens.clear()

    def revoke_tokens(self) -> None:
        """Forget every issued token (message/send then answers 40014)."""
        with self._lock:
            self._tokens.clear()
            self._expired.clear()

    def reset(self) -> None:
        """Forget tokens, records and pending failures/delays; abort delayed requests."""
        with self._lock:
            self._wake.set()
            self._clear()

    # records -----------------------------------------------------------------
    @property
    def messages(self) -> list[dict[str, Any]]:
        """Accepted messages: ``{"channel": "app"|"robot", "body", "key", "delivered_to", "msgid"}``."""
        with self._lock:
            return [dict(m) for m in self._messages]

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request: ``{"method", "path", "query", "body", "status", "errcode"}``."""
        with self._lock:
            return [dict(r) for r in self._requests]

    @property
    def gettoken_calls(self) -> int:
        with self._lock:
            return self._gettoken_calls

    # handling ----------------------------------------------------------------
    def _take(self, rules: list[list[Any]], path: str) -> list[Any] | None:
        for rule in rules:
            target = rule[2]
            if rule[0] > 0 and (path == target or (target is None and path in SEND_PATHS)):
                rule[0] -= 1
                return rule
        return None

    def _handle(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Answer | None:
        with self._lock:
            delay = self._take(self._delays, path)
            wake = self._wake
        if delay is not None and wake.wait(delay[1]):
            return None
        try:
            body: Any = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = raw.decode("utf-8", errors="replace")
        with self._lock:
            status, payload = self._answer(method, path, query, body)
            self._requests.append({
                "method": method, "path": path, "query": query, "body": body,
                "status": status, "errcode": payload.get("errcode"),
            })
        return status, payload

    def _answer(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        if path == GETTOKEN:
            self._gettoken_calls += 1
        routes = {GETTOKEN: ("GET", self._gettoken), MESSAGE_SEND: ("POST", self._message_send),
                  WEBHOOK_SEND: ("POST", self._webhook_send)}
        if path not in routes or routes[path][0] != method:
            return 404, {"errcode": 404, "errmsg": "not found"}
        failure = self._take(self._failures, path)
        if failure is not None:
            return failure[3], _error(failure[1])
        try:
            return 200, routes[path][1](query, body)
        except _Rejected as exc:
            return 200, _error(exc.errcode, **exc.extra)

    def _gettoken(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if not query.get("corpid"):
            raise _Rejected(41002)
        if query["corpid"] != self.corp_id:
            raise _Rejected(40013)
        if not query.get("corpsecret"):
            raise _Rejected(41004)
        if query["corpsecret"] != self.secret:
            raise _Rejected(40001)
        token = f"fake-token-{next(self._ids)}-{secrets.token_hex(8)}"
        self._tokens[token] = time.monotonic() + self.token_ttl
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_ttl}

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise _Rejected(41001)
        if token in self._expired or (token in self._tokens and self._tokens[token] < time.monotonic()):
            raise _Rejected(42001)
        if token not in self._tokens:
            raise _Rejected(40014)

    def _message_send(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        self._check_token(query.get("access_token"))
        if not isinstance(body, dict):
            raise _Rejected(47001)
        if body.get("agentid") != self.agent_id and str(body.get("agentid")) != str(self.agent_id):
            raise _Rejected(40056)
        msgtype = body.get("msgtype")
        if msgtype == "text" or msgtype == "markdown":
            _require_text(body.get(msgtype), "content", 2048, 45002, empty=44004)
        elif msgtype == "textcard":
            card = body.get("textcard")
            _require_text(card, "title", 128, 45003)
            _require_text(card, "description", 512, 45004)
            _require_text(card, "url", 2048, 40035)
        else:
            raise _Rejected(40008)
        touser = body.get("touser") or ""
        if not isinstance(touser, str) or not (touser or body.get("toparty") or body.get("totag")):
            raise _Rejected(40035)
        requested = [u for u in touser.split("|") if u]
        if len(requested) > 1000:
            raise _Rejected(40031)
        if requested == ["@all"]:
            delivered, invalid = sorted(self.users), []
        else:
            delivered = [u for u in requested if u in self.users]
            invalid = [u for u in requested if u not in self.users]
        if not delivered:
            raise _Rejected(81013, invaliduser="|".join(invalid))
        msgid = f"fake-msgid-{next(self._ids)}"
        self._messages.append({"channel": "app", "body": body, "key": None, "delivered_to": delivered, "msgid": msgid})
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid), "invalidparty": "",
                "invalidtag": "", "msgid": msgid, "response_code": secrets.token_hex(8)}

    def _webhook_send(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        key = query.get("key")
        if not key or key not in self.robot_keys:
            raise _Rejected(93000)
        if not isinstance(body, dict):
            raise _Rejected(47001)
        msgtype = body.get("msgtype")
        if msgtype == "text":
            text = body.get("text")
            _require_text(text, "content", 2048, 45002, empty=44004)
            for field in ("mentioned_list", "mentioned_mobile_list"):
                value = text.get(field, [])
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise _Rejected(40035)
        elif msgtype == "markdown":
            _require_text(body.get("markdown"), "content", 4096, 45002, empty=44004)
        else:
            raise _Rejected(40008)
        self._messages.append({"channel": "robot", "body": body, "key": key, "delivered_to": [], "msgid": None})
        return {"errcode": 0, "errmsg": "ok"}
