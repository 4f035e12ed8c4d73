"""A document's version as an API write names it: the If-Match header against the ETag ``"<id>-<version>"``
(``Approvable.etag``), the same for every document's API."""

from __future__ import annotations

from core import errors


def if_match(request, document, *, required: bool, this: str) -> int | None:
    """The version an If-Match header names; 428 when a write must name one (``required``). None for ``If-Match: *``,
    which asks for any current version (RFC 9110 13.1.1): the document exists, so it holds. ``this``: how the
    messages point at the document ("这张表")."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        if required:
            raise errors.version_required(f"请在 If-Match 请求头中提供{this}的 ETag（先 GET 取得），以免覆盖他人的修改。")
        return None
    if header == "*":
        return None
    document_id, _, version = header.removeprefix("W/").strip('"').partition("-")
    if document_id != str(document.pk) or not version.isdigit():
        raise errors.stale(f"If-Match 的值 {header} 不是{this}的 ETag，当前为 {document.etag}。")
    return int(version)
