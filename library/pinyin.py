"""Pinyin initials of a name (pypinyin), for type-ahead: 资金执行率 → zjzxl."""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_LETTERS = re.compile(r"[^a-z0-9]")


def initials(text: str) -> str:
    letters = "".join(part[:1] for part in lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="ignore"))
    return _LETTERS.sub("", letters.lower())[:200]


def looks_like_initials(query: str) -> bool:
    return bool(query) and bool(re.fullmatch(r"[A-Za-z]+", query))
