"""The API's request body parsers, with limits: DRF's own JSON parser reads any body whole
(``DATA_UPLOAD_MAX_MEMORY_SIZE`` only guards Django's form parsing) and recurses without bound.

Beyond ``API_MAX_BODY_BYTES`` a body is refused with 413, from its Content-Length before anything is
read and while reading when the length was not declared (or lied); beyond ``API_MAX_JSON_DEPTH``
levels of nesting with 400. Refusals are ``AppError``s, so the API answers them as Chinese JSON.
"""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from core import errors
from core.unstorable import CODE as UNSTORABLE_CODE
from core.unstorable import MESSAGE as UNSTORABLE_MESSAGE
from core.unstorable import unstorable

CHUNK = 64 * 1024


def too_large(limit: int) -> errors.AppError:
    return errors.AppError(
        f"请求内容过大：最多 {limit // 1024} KB。", status=413, code="request_too_large"
    )


def _limit() -> int:
    return settings.API_MAX_BODY_BYTES


def _check_declared_length(parser_context) -> None:
    request = (parser_context or {}).get("request")
    meta = getattr(request, "META", {}) if request is not None else {}
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        raise errors.invalid("请求头 Content-Length 无效。", code="parse_error") from None
    if declared > _limit():
        raise too_large(_limit())


def read_limited(stream, limit: int) -> bytes:
    """The whole stream, refused (413) as soon as it exceeds ``limit`` bytes."""
    if stream is None:
        return b""
    chunks, size = [], 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)


def _depth_exceeds(value, limit: int) -> bool:
    """Is ``value`` nested deeper than ``limit`` (iteratively: no recursion on hostile input)?"""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _check_declared_length(parser_context)
        raw = read_limited(stream, _limit())
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
            data = json.loads(text, parse_constant=_refuse_constant) if text.strip() else {}
        except RecursionError:
            raise self._too_deep() from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise errors.invalid(f"请求内容不是有效的 JSON：{exc}", code="parse_error") from None
        if _depth_exceeds(data, settings.API_MAX_JSON_DEPTH):
            raise self._too_deep()
        return _storable(data)

    @staticmethod
    def _too_deep() -> errors.AppError:
        return errors.invalid(f"请求内容的 JSON 嵌套过深：最多 {settings.API_MAX_JSON_DEPTH} 层。", code="parse_error")


def _storable(data):
    """``data`` unless a string in it holds a character the database cannot store (core.unstorable): then 400."""
    if unstorable(data):
        raise errors.invalid(UNSTORABLE_MESSAGE, code=UNSTORABLE_CODE)
    return data


def _refuse_constant(name: str):
    raise ValueError(f"不支持 {name}")


class LimitedFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _check_declared_length(parser_context)
        return _storable(super().parse(stream, media_type, parser_context))


class LimitedMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _check_declared_length(parser_context)
        parsed = super().parse(stream, media_type, parser_context)
        _storable(parsed.data)  # the files' names: Django's parser already drops unprintable characters
        return parsed
