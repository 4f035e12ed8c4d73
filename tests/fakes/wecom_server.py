"""A fake WeCom (企业微信) API server on loopback, for tests over real HTTP.

Speaks ``GET /cgi-bin/gettoken``, ``POST /cgi-bin/message/send?access_token=`` (text, markdown,
textcard and template_card), ``POST /cgi-bin/message/update_template_card``, ``GET /cgi-bin/auth/getuserinfo``,
``POST /cgi-bin/webhook/send?key=`` and WeCom's OAuth authorize page ``GET /connect/oauth2/authorize``
(a 302 back to ``redirect_uri`` with ``code`` and ``state``, for ``current_user``); every API answer is
JSON with ``errcode``/``errmsg`` (HTTP 200 unless a failure with another status is injected).

It also plays WeCom's side of the callback: ``card_click`` builds the encrypted, signed
``template_card_event`` a tap on a card's button sends (with a fresh one-use ``ResponseCode``),
``post_callback`` POSTs it to our URL; ``tamper``/``receive_id`` make the bad variants, posting the
same request twice is a replay.

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
93000 unknown robot key, 40029 invalid/used/expired OAuth code, 40035 for a template card
without a valid task_id or buttons and for an unknown, used or expired response_code.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import re
import secrets
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape

import httpx
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

GETTOKEN = "/cgi-bin/gettoken"
MESSAGE_SEND = "/cgi-bin/message/send"
WEBHOOK_SEND = "/cgi-bin/webhook/send"
UPDATE_TEMPLATE_CARD = "/cgi-bin/message/update_template_card"
GETUSERINFO = "/cgi-bin/auth/getuserinfo"
AUTHORIZE = "/connect/oauth2/authorize"
SEND_PATHS = frozenset({MESSAGE_SEND, WEBHOOK_SEND})
OAUTH_CODE_TTL = 300  # "code只能使用一次，5分钟未被使用自动过期"
RESPONSE_CODE_TTL = 72 * 3600  # update_template_card: one use within 72 hours
TASK_ID = re.compile(r"^[A-Za-z0-9_@-]{1,128}$")

ERRMSG = {
    -1: "system busy",
    40001: "invalid credential",
    40008: "invalid message type",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40029: "invalid code",
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

Answer = tuple[int, Any]


@dataclass(frozen=True)
class Redirect:
    location: str


@dataclass(frozen=True)
class Page:
    text: str


@dataclass(frozen=True)
class CallbackRequest:
    """What WeCom POSTs to the application's callback URL: the query string and the XML body."""

    query: dict[str, str]
    body: str
    event: str  # the plain XML inside, for the test's eyes

    @property
    def query_string(self) -> str:
        return urlencode(self.query)


def _pkcs7(data: bytes, block: int = 32) -> bytes:
    pad = block - len(data) % block
    return data + bytes([pad]) * pad


def wecom_encrypt(message: str, *, encoding_aes_key: str, receive_id: str) -> str:
    """WeCom's 加解密方案 (path 90968), written apart from the application's own code."""
    key = base64.b64decode(encoding_aes_key + "=")
    raw = message.encode("utf-8")
    plain = _pkcs7(os.urandom(16) + struct.pack(">I", len(raw)) + raw + receive_id.encode("utf-8"))
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def wecom_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode("utf-8")).hexdigest()


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
    # Answer at once, as WeCom's own servers do: with Nagle's algorithm the body (a second small write after the
    # headers) waits for the client's delayed ACK, about 40 ms per call on loopback.
    disable_nagle_algorithm = True
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
        fake = self.server.fake
        with fake._lock:
            fake._in_flight += 1
            fake._most_in_flight = max(fake._most_in_flight, fake._in_flight)
        try:
            answer = fake._handle(method, url.path, query, raw)
        finally:
            with fake._lock:
                fake._in_flight -= 1
        if answer is None:  # aborted while delayed (reset/stop): drop the connection
            self.close_connection = True
            return
        status, payload = answer
        if isinstance(payload, Redirect):
            self.send_response(302)
            self.send_header("Location", payload.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if isinstance(payload, Page):
            data, kind = payload.text.encode("utf-8"), "text/html; charset=utf-8"
        else:
            data, kind = json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", kind)
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
        callback_token: str = "fake-callback-token",
        encoding_aes_key: str | None = None,
        trusted_host: str | None = None,
    ) -> None:
        self.corp_id = corp_id
        self.callback_token = callback_token
        self.encoding_aes_key = encoding_aes_key or base64.b64encode(secrets.token_bytes(32)).decode("ascii")[:43]
        self.trusted_host = trusted_host  # host[:port] redirect_uri must be on (可信域名); None: any
        self.current_user: str | None = None  # who is signed in to the WeCom app opening the links
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
        self._in_flight = 0  # requests being answered now
        self._most_in_flight = 0  # the most ever answered at once
        self._failures: list[list[Any]] = []  # [remaining, errcode, path, status, let through first]
        self._delays: list[list[Any]] = []  # [remaining, seconds, path]
        self._gettoken_calls = 0
        self._oauth_codes: dict[str, list[Any]] = {}  # code -> [userid, monotonic expiry, used]
        self._response_codes: dict[str, dict[str, Any]] = {}  # response_code -> {task_id, userids, expires, used}
        self._card_updates: list[dict[str, Any]] = []
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
    def fail_next(self, n: int, errcode: int, *, path: str | None = None, status: int = 200, after: int = 0) -> None:
        """Answer the next ``n`` sends (or requests to ``path``) with ``errcode`` (HTTP ``status``), once ``after``
        of them have been answered as usual."""
        with self._lock:
            self._failures.append([n, errcode, path, status, after])

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
    def most_in_flight(self) -> int:
        """The most requests this server was answering at the same moment."""
        with self._lock:
            return self._most_in_flight

    @property
    def gettoken_calls(self) -> int:
        with self._lock:
            return self._gettoken_calls

    @property
    def card_updates(self) -> list[dict[str, Any]]:
        """Accepted update_template_card bodies."""
        with self._lock:
            return [dict(u) for u in self._card_updates]

    def template_cards(self) -> list[dict[str, Any]]:
        """The template cards accepted by message/send: ``{"card", "delivered_to", "response_code"}``."""
        with self._lock:
            return [
                {"card": m["body"]["template_card"], "delivered_to": m["delivered_to"], "response_code": m.get("response_code")}
                for m in self._messages if m["channel"] == "app" and m["body"].get("msgtype") == "template_card"
            ]

    def expire_oauth_codes(self) -> None:
        """Every issued sign-in code is now older than 5 minutes."""
        with self._lock:
            for entry in self._oauth_codes.values():
                entry[1] = time.monotonic() - 1

    def issue_oauth_code(self, userid: str) -> str:
        """A sign-in code as the authorize page would issue it for ``userid``."""
        with self._lock:
            code = secrets.token_urlsafe(24)
            self._oauth_codes[code] = [userid, time.monotonic() + OAUTH_CODE_TTL, False]
            return code

    # the callback: what a tap on a card's button sends --------------------------
    def card_click(
        self, task_id: str, key: str, *, userid: str, tamper: str | None = None, receive_id: str | None = None,
        timestamp: int | None = None, card_type: str = "button_interaction",
    ) -> CallbackRequest:
        """The encrypted ``template_card_event`` (path 90376) for a tap on button ``key`` of card ``task_id``.

        ``tamper="signature"`` spoils the signature, ``"body"`` changes the ciphertext after signing;
        ``receive_id`` encrypts for another corp; ``timestamp`` sets the query's timestamp."""
        response_code = secrets.token_urlsafe(32)
        with self._lock:
            self._response_codes[response_code] = {
                "task_id": task_id, "userids": [userid], "expires": time.monotonic() + RESPONSE_CODE_TTL, "used": False,
            }
        now = int(time.time()) if timestamp is None else timestamp
        event = (
            "<xml>"
            f"<ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{userid}]]></FromUserName>"
            f"<CreateTime>{now}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[template_card_event]]></Event>"
            f"<EventKey><![CDATA[{key}]]></EventKey>"
            f"<TaskId><![CDATA[{task_id}]]></TaskId>"
            f"<CardType><![CDATA[{card_type}]]></CardType>"
            f"<ResponseCode><![CDATA[{response_code}]]></ResponseCode>"
            f"<AgentID>{self.agent_id}</AgentID>"
            "<SelectedItems></SelectedItems>"
            "</xml>"
        )
        return self._callback(event, timestamp=now, tamper=tamper, receive_id=receive_id)

    def url_verification(self, echostr_plain: str = "1616140317555161061", *, tamper: str | None = None) -> dict[str, str]:
        """The query of the URL-verification GET (the answer must be ``echostr_plain``)."""
        encrypted = wecom_encrypt(echostr_plain, encoding_aes_key=self.encoding_aes_key, receive_id=self.corp_id)
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        sig = wecom_signature(self.callback_token, timestamp, nonce, encrypted)
        if tamper == "signature":
            sig = sig[::-1]
        return {"msg_signature": sig, "timestamp": timestamp, "nonce": nonce, "echostr": encrypted}

    def _callback(self, event: str, *, timestamp: int, tamper: str | None, receive_id: str | None) -> CallbackRequest:
        encrypted = wecom_encrypt(event, encoding_aes_key=self.encoding_aes_key, receive_id=receive_id or self.corp_id)
        nonce = secrets.token_hex(5)
        sig = wecom_signature(self.callback_token, str(timestamp), nonce, encrypted)
        if tamper == "signature":
            sig = wecom_signature("not-the-token", str(timestamp), nonce, encrypted)
        elif tamper == "body":
            encrypted = wecom_encrypt(event.replace("approve", "APPROVE"), encoding_aes_key=self.encoding_aes_key, receive_id=self.corp_id)
        body = (
            f"<xml><ToUserName><![CDATA[{escape(self.corp_id)}]]></ToUserName>"
            f"<AgentID><![CDATA[{self.agent_id}]]></AgentID><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        )
        return CallbackRequest({"msg_signature": sig, "timestamp": str(timestamp), "nonce": nonce}, body, event)

    @staticmethod
    def post_callback(url: str, request: CallbackRequest, *, timeout: float = 10.0) -> httpx.Response:
        """POST the callback to the application over HTTP, as WeCom does."""
        return httpx.post(
            f"{url}?{request.query_string}", content=request.body.encode("utf-8"),
            headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=timeout,
        )

    # handling ----------------------------------------------------------------
    def _take(self, rules: list[list[Any]], path: str) -> list[Any] | None:
        for rule in rules:
            target = rule[2]
            if rule[0] > 0 and (path == target or (target is None and path in SEND_PATHS)):
                if len(rule) > 4 and rule[4] > 0:  # a failure that lets ``after`` requests through first
                    rule[4] -= 1
                    return None
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
                "status": status, "errcode": payload.get("errcode") if isinstance(payload, dict) else None,
            })
        return status, payload

    def _answer(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        if path == GETTOKEN:
            self._gettoken_calls += 1
        routes = {GETTOKEN: ("GET", self._gettoken), MESSAGE_SEND: ("POST", self._message_send),
                  WEBHOOK_SEND: ("POST", self._webhook_send), UPDATE_TEMPLATE_CARD: ("POST", self._update_template_card),
                  GETUSERINFO: ("GET", self._getuserinfo), AUTHORIZE: ("GET", self._authorize)}
        if path not in routes or routes[path][0] != method:
            return 404, {"errcode": 404, "errmsg": "not found"}
        failure = self._take(self._failures, path)
        if failure is not None:
            return failure[3], _error(failure[1])
        try:
            result = routes[path][1](query, body)
        except _Rejected as exc:
            return 200, _error(exc.errcode, **exc.extra)
        return 200, result

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
        elif msgtype == "template_card":
            self._check_template_card(body.get("template_card"))
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
        response_code = secrets.token_urlsafe(32)
        if msgtype == "template_card":
            self._response_codes[response_code] = {
                "task_id": body["template_card"]["task_id"], "userids": delivered,
                "expires": time.monotonic() + RESPONSE_CODE_TTL, "used": False,
            }
        self._messages.append({
            "channel": "app", "body": body, "key": None, "delivered_to": delivered, "msgid": msgid, "response_code": response_code,
        })
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid), "invalidparty": "",
                "invalidtag": "", "msgid": msgid, "response_code": response_code}

    def _check_template_card(self, card: Any) -> None:
        """button_interaction as in path 90236: task_id unique per application, a main title, 1–6 buttons
        (type 0 or absent: a callback with ``key``; type 1: a jump to ``url``), at most 6 horizontal rows."""
        if not isinstance(card, dict) or card.get("card_type") != "button_interaction":
            raise _Rejected(40035)
        task_id = card.get("task_id")
        if not isinstance(task_id, str) or not TASK_ID.match(task_id):
            raise _Rejected(40035)
        if any(m["body"].get("template_card", {}).get("task_id") == task_id for m in self._messages if m["channel"] == "app"):
            raise _Rejected(40035)  # a task id is used once per application
        if not isinstance(card.get("main_title"), dict) or not card["main_title"].get("title"):
            raise _Rejected(40035)
        rows = card.get("horizontal_content_list", [])
        if not isinstance(rows, list) or len(rows) > 6 or not all(isinstance(r, dict) and r.get("keyname") for r in rows):
            raise _Rejected(40035)
        buttons = card.get("button_list")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 6:
            raise _Rejected(40035)
        for button in buttons:
            if not isinstance(button, dict) or not button.get("text"):
                raise _Rejected(40035)
            if button.get("type", 0) == 1:
                _require_text(button, "url", 2048, 40035)
            elif not button.get("key"):
                raise _Rejected(40035)

    def _update_template_card(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        self._check_token(query.get("access_token"))
        if not isinstance(body, dict):
            raise _Rejected(47001)
        if str(body.get("agentid")) != str(self.agent_id):
            raise _Rejected(40056)
        entry = self._response_codes.get(str(body.get("response_code") or ""))
        if entry is None or entry["used"] or entry["expires"] < time.monotonic():
            raise _Rejected(40035, hint="response_code invalid, used or expired")
        if not isinstance(body.get("button"), dict) and not isinstance(body.get("template_card"), dict):
            raise _Rejected(40035)
        entry["used"] = True
        self._card_updates.append({**body, "task_id": entry["task_id"]})
        return {"errcode": 0, "errmsg": "ok", "invaliduser": []}

    def _getuserinfo(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        self._check_token(query.get("access_token"))
        entry = self._oauth_codes.get(query.get("code") or "")
        if entry is None or entry[2] or entry[1] < time.monotonic():
            raise _Rejected(40029)
        entry[2] = True  # single use
        if entry[0] in self.users:
            return {"errcode": 0, "errmsg": "ok", "userid": entry[0]}
        return {"errcode": 0, "errmsg": "ok", "openid": "fake-openid-" + hashlib.sha1(entry[0].encode()).hexdigest()[:16]}

    def _authorize(self, query: dict[str, str], body: Any) -> Redirect | Page:
        """WeCom's 网页授权 page (path 96714): silently back to redirect_uri with code and state."""
        redirect_uri = query.get("redirect_uri") or ""
        if query.get("appid") != self.corp_id:
            return Page("参数错误：appid 不正确")
        if query.get("response_type") != "code" or query.get("scope") != "snsapi_base":
            return Page("参数错误：response_type 或 scope 不正确")
        if str(query.get("agentid")) != str(self.agent_id):
            return Page("参数错误：agentid 不正确")
        target = urlsplit(redirect_uri)
        if target.scheme not in ("http", "https") or (self.trusted_host is not None and target.netloc != self.trusted_host):
            return Page("redirect_uri 需与应用的可信域名一致")
        if self.current_user is None:
            return Page("请在企业微信客户端打开链接")
        code = secrets.token_urlsafe(24)
        self._oauth_codes[code] = [self.current_user, time.monotonic() + OAUTH_CODE_TTL, False]
        joiner = "&" if target.query else "?"
        return Redirect(redirect_uri + joiner + urlencode({"code": code, "state": query.get("state", "")}))

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
