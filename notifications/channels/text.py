"""Byte-limited text helpers for WeCom (limits are in bytes of UTF-8)."""

from __future__ import annotations

import html
import re

TRUNCATION_MARKER = "…（内容过长已截断）"

# WeCom markdown's syntax characters, replaced by their full-width forms: users' text (comments, titles)
# reads the same but cannot make links, emphasis, headings, quotes, code or <font> tags.
_MARKDOWN = str.maketrans({
    "\\": "＼", "*": "＊", "_": "＿", "`": "｀", "[": "［", "]": "］", "(": "（", ")": "）",
    "<": "＜", ">": "＞", "#": "＃", "~": "～", "!": "！", "|": "｜", "&": "＆",
})
_URL_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")


def escape_markdown(text: str) -> str:
    """Plain text for WeCom robot markdown: no markup of the user's survives, and no bare URL becomes a link."""
    return _URL_SCHEME.sub(r"\1：", text.translate(_MARKDOWN))


def escape_html(text: str) -> str:
    """Plain text for a WeCom text card's description, which WeCom reads as HTML (``<div class="gray">``…)."""
    return html.escape(text, quote=False)


def utf8_len(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes."""
    return len(text.encode("utf-8"))


def cut_to_bytes(text: str, limit: int, *, marker: str = TRUNCATION_MARKER) -> str:
    """Return ``text`` cut on a character boundary so that, marker included, it fits ``limit`` bytes.

    Text that already fits is returned unchanged. If even the marker does not fit,
    the marker itself is cut.
    """
    if limit < 0:
        raise ValueError("limit must be >= 0")
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    marker_bytes = marker.encode("utf-8")
    if len(marker_bytes) >= limit:
        return _head(marker_bytes, limit)
    return _head(data, limit - len(marker_bytes)) + marker


def _head(data: bytes, limit: int) -> str:
    # Only the tail can hold a partial character; "ignore" drops exactly that.
    return data[:limit].decode("utf-8", errors="ignore")
