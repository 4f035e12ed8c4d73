"""WeCom group robot (消息推送 webhook) client.

Rate limit: 20 messages a minute per robot; use
``RateLimiter(r, limit=ROBOT_RATE_LIMIT, prefix=ROBOT_RATE_PREFIX).acquire(robot_rate_key(key))``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from .text import cut_to_bytes
from .wecom import WeComError, request_json

__all__ = ["RobotClient", "WeComError", "robot_rate_key"]

ROBOT_TEXT_LIMIT = 2048
ROBOT_MARKDOWN_LIMIT = 4096
ROBOT_RATE_LIMIT = 20
ROBOT_RATE_PREFIX = "targetflow:wecom:rate:robot:"


def robot_rate_key(key: str) -> str:
    """A stable, non-secret name for a webhook key (for rate-limit counters and logs)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


class RobotClient:
    """Sends to group robots; errors are ``WeComError`` (93000 = bad key, permanent)."""

    def __init__(self, *, base_url: str, timeout: float = 5.0, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = http or httpx.Client()
        self._owns_http = http is None

    def send_text(
        self,
        key: str,
        content: str,
        mentioned_list: list[str] | None = None,
        mentioned_mobile_list: list[str] | None = None,
    ) -> None:
        """Send text (cut to 2048 bytes); ``mentioned_list`` holds user ids or "@all"."""
        text: dict[str, Any] = {"content": cut_to_bytes(content, ROBOT_TEXT_LIMIT)}
        if mentioned_list:
            text["mentioned_list"] = list(mentioned_list)
        if mentioned_mobile_list:
            text["mentioned_mobile_list"] = list(mentioned_mobile_list)
        self._send(key, {"msgtype": "text", "text": text})

    def send_markdown(self, key: str, content: str) -> None:
        """Send markdown (cut to 4096 bytes)."""
        self._send(key, {"msgtype": "markdown", "markdown": {"content": cut_to_bytes(content, ROBOT_MARKDOWN_LIMIT)}})

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> RobotClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, key: str, body: dict[str, Any]) -> None:
        if not key:
            raise WeComError(93000, "机器人 webhook key 为空", temporary=False)
        request_json(
            self._http, "POST", f"{self.base_url}/cgi-bin/webhook/send", timeout=self.timeout,
            params={"key": key}, body=body,
        )
