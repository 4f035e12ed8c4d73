"""Keyset pages: "下一页"/"上一页" by the last row's sort key, never OFFSET and never COUNT(*).

A list is ordered by a few columns of its own table (the first may run either way, the rest one
way, e.g. ``("-fiscal_year_id", "agency_id", "position", "id")``), the last one unique. A key may also be an
annotation of the queryset (e.g. a person's first role on a page of people): the rows beyond it are then found
by the same comparison written out (``a > x OR (a = x AND b > y)``), for lists bounded by their own filter. The page
after a row whose key is ``(y, a, p, i)`` is read in at most two index range scans:
``first = y AND (a, p, i) > (…)`` and, when that runs out, ``first beyond y`` — the same cost on
page 1 and page 10,000. The cursor is an opaque token (base64 JSON of the key and a direction).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Q, QuerySet

DEFAULT_SIZE = 50
MAX_SIZE = 100


def page_size(value, default: int = DEFAULT_SIZE) -> int:
    """The size a client asked for, capped by the server (1…MAX_SIZE)."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        return default
    return max(1, min(size, MAX_SIZE))


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None = None
    previous_cursor: str | None = None
    size: int = DEFAULT_SIZE
    params: dict = field(default_factory=dict)  # the list's other query parameters, kept in page links

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __bool__(self):
        return bool(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)

    def _query(self, cursor) -> str:
        params = {k: v for k, v in self.params.items() if v not in (None, "") and k not in ("cursor", "size")}
        if self.size != DEFAULT_SIZE:
            params["size"] = self.size
        if cursor:
            params["cursor"] = cursor
        return "?" + urlencode(params)

    @property
    def next_query(self) -> str | None:
        return self._query(self.next_cursor) if self.next_cursor else None

    @property
    def previous_query(self) -> str | None:
        return self._query(self.previous_cursor) if self.previous_cursor else None

    @property
    def first_query(self) -> str:
        return self._query(None)


def encode_cursor(values: list, backwards: bool = False) -> str:
    """The opaque token of a row's key (also for a list read by a statement of its own)."""
    raw = json.dumps({"k": values, "b": backwards}, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, width: int) -> tuple[list | None, bool]:
    """(the key, backwards) of a token ``encode_cursor`` wrote; (None, False) for none or a damaged one."""
    if not cursor:
        return None, False
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values, backwards = data["k"], bool(data["b"])
    except (ValueError, KeyError, TypeError):
        return None, False  # a damaged cursor: the first page
    if not isinstance(values, list) or len(values) != width:
        return None, False
    return values, backwards


def _split(ordering) -> list[tuple[str, bool]]:
    return [(name.lstrip("-"), name.startswith("-")) for name in ordering]


def keyset_page(queryset: QuerySet, ordering, *, cursor: str | None = None, size: int = DEFAULT_SIZE, params=None) -> KeysetPage:
    """One page of ``queryset`` in ``ordering`` after (or, going back, before) ``cursor``."""
    keys = _split(ordering)
    (first, _), rest = keys[0], keys[1:]
    if len({desc for _, desc in rest}) > 1:
        raise ValueError("keyset ordering: all but the first column must run the same way")
    values, backwards = decode_cursor(cursor, len(keys))
    if values is not None:
        try:
            values = [_field(queryset, name).to_python(v) for (name, _), v in zip(keys, values)]
        except Exception:  # a value that is not of the column's type: the first page
            values, backwards = None, False
    # going back reads in the reverse order, then turns the rows round
    read = [(name, desc != backwards) for name, desc in keys]
    order = [("-" if desc else "") + name for name, desc in read]
    want = size + 1
    if values is None:
        rows = list(queryset.order_by(*order)[:want])
    else:
        rows = list(_after(queryset, read, values).order_by(*order)[:want])
        if len(rows) < want:
            beyond = {f"{first}__{'lt' if read[0][1] else 'gt'}": values[0]}
            rows += list(queryset.filter(**beyond).order_by(*order)[: want - len(rows)])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = KeysetPage(rows=rows, size=size, params=dict(params or {}))
    if rows:
        key = lambda row: [getattr(row, name) for name, _ in keys]  # noqa: E731
        has_next = more if not backwards else True
        has_previous = (values is not None) if not backwards else more
        page.next_cursor = encode_cursor(key(rows[-1]), False) if has_next else None
        page.previous_cursor = encode_cursor(key(rows[0]), True) if has_previous else None
    elif values is not None:
        page.previous_cursor = None
    return page


def _field(queryset: QuerySet, name: str):
    """The field of a key: the model's column, or the output field of an annotation."""
    annotation = queryset.query.annotations.get(name)
    return annotation.output_field if annotation is not None else queryset.model._meta.get_field(name)


def _after(queryset: QuerySet, read, values) -> QuerySet:
    """Rows with the same first key and the rest beyond ``values`` in the reading order (a row-value comparison)."""
    (first, _), rest = read[0], read[1:]
    queryset = queryset.filter(**{first: values[0]})
    if not rest:
        return queryset.none()
    lookup = "lt" if rest[0][1] else "gt"
    if any(name in queryset.query.annotations for name, _ in rest):
        (last, _), *inner = reversed(rest)
        condition = Q(**{f"{last}__{lookup}": values[-1]})
        for (name, _), value in zip(inner, reversed(values[1:-1])):
            condition = Q(**{f"{name}__{lookup}": value}) | (Q(**{name: value}) & condition)
        return queryset.filter(condition)
    meta = queryset.model._meta
    table = connection.ops.quote_name(meta.db_table)
    columns = [f"{table}.{connection.ops.quote_name(meta.get_field(name).column)}" for name, _ in rest]
    params = [meta.get_field(name).get_db_prep_value(v, connection) for (name, _), v in zip(rest, values[1:])]
    operator = "<" if rest[0][1] else ">"
    placeholders = ", ".join(["%s"] * len(rest))
    return queryset.extra(where=[f"({', '.join(columns)}) {operator} ({placeholders})"], params=params)


class KeysetPagination:
    """DRF pagination on ``keyset_page``: DRF's paginated shape (``next``, ``previous``, ``results``), no ``count``.

    ``?cursor=`` is the opaque token of ``next``/``previous``; ``?size=`` (≤ 100, default 50) the page size.
    """

    display_page_controls = False

    def __init__(self, ordering, default_size: int = DEFAULT_SIZE):
        self.ordering = ordering
        self.default_size = default_size
        self.page: KeysetPage | None = None
        self.request = None

    def paginate_queryset(self, queryset, request, view=None) -> list:
        self.request = request
        params = {k: v for k, v in request.query_params.items() if k not in ("cursor", "size")}
        self.page = keyset_page(
            queryset, self.ordering, cursor=request.query_params.get("cursor"),
            size=page_size(request.query_params.get("size"), default=self.default_size), params=params,
        )
        return self.page.rows

    def _link(self, query: str | None) -> str | None:
        return self.request.build_absolute_uri(self.request.path + query) if query else None

    def get_paginated_response(self, data):
        from rest_framework.response import Response

        return Response({"next": self._link(self.page.next_query), "previous": self._link(self.page.previous_query), "results": data})

    @staticmethod
    def get_paginated_response_schema(schema: dict) -> dict:
        return {
            "type": "object", "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri", "description": "下一页（没有更多时为 null）"},
                "previous": {"type": "string", "nullable": True, "format": "uri", "description": "上一页（第一页为 null）"},
                "results": schema,
            },
        }
