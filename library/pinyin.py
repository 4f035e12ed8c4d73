"""Pinyin initials of a name (pypinyin), for type-ahead: 资金执行率 → zjzxl.

pypinyin's phrase dictionary costs about half a second and 50 MB to import, so it is imported on the first
``initials`` call only (a library write), never by a process that merely starts (web and Celery workers, commands)."""

from __future__ import annotations

import re

_LETTERS = re.compile(r"[^a-z0-9]")


def initials(text: str) -> str:
    from pypinyin import Style, lazy_pinyin

    letters = "".join(part[:1] for part in lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="ignore"))
    return _LETTERS.sub("", letters.lower())[:200]


def looks_like_initials(query: str) -> bool:
    return bool(query) and bool(re.fullmatch(r"[A-Za-z]+", query))
