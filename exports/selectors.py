"""Reads for exports: the sheets of an export, scoped exactly like the sheet list (``sheets.selectors.sheet_list``)."""

from __future__ import annotations

import datetime
import queue
import threading
from collections.abc import Iterator
from decimal import Decimal
from itertools import islice
from typing import NamedTuple

from django.db import connection, connections
from django.db.models import OuterRef, QuerySet, Subquery

from projects.models import Checkpoint, Indicator, SheetState, SpendPlan, TargetSheet
from projects.revisions import originals_by_id
from projects.selectors import sheets_with_content
from sheets import selectors as sheet_selectors
from workflow.models import Action, Event

FILTER_NAMES = ("year", "section", "state", "agency", "search")


def _last_event(**match) -> Subquery:
    events = Event.objects.filter(sheet=OuterRef("pk"), **match).order_by("-created", "-id").values("created")[:1]
    return Subquery(events)


def summary_sheets(user, filters: dict) -> QuerySet:
    """What ``user`` sees in the sheet list with ``filters``, in the list's order, with the content the summary
    writes and the dates of the last submission, leader approval and publication."""
    listed = sheet_selectors.sheet_list(user, **{name: filters.get(name) for name in FILTER_NAMES})
    return sheets_with_content(listed.defer(None)).annotate(  # every column, not only a list row's
        submitted_at=_last_event(action=Action.SUBMIT),
        approved_at=_last_event(action=Action.APPROVE, from_state=SheetState.LEADER_REVIEW),
        published_at=_last_event(to_state=SheetState.PUBLISHED),
    )


class SheetRecord(NamedTuple):
    """One sheet of an Excel summary as plain values (a province's 200,000 sheets and 1.6 million indicators are
    read as tuples, never as model instances): what ``exports.xlsx`` writes."""

    year: int
    agency_code: str
    agency_name: str
    position: int
    project_code: str
    title: str
    section: str
    state: str  # the label (已公开…)
    budget_total: Decimal | None
    fiscal_funds: Decimal | None
    other_funds: Decimal | None
    errors: int
    warnings: int
    submitted_at: datetime.datetime | None
    approved_at: datetime.datetime | None
    published_at: datetime.datetime | None
    plan: dict  # checkpoint label → cumulative %
    indicators: list  # (category, subcategory, name, description, target_value, 年初 value, operator, number, unit, basis)
    original_budget: Decimal | None = None  # 年初预算数 of a sheet an adjustment changed, where it differs


def _original_value(original, fields) -> str | None:
    """年初指标值 of one indicator row (``INDICATOR_FIELDS``) where an adjustment changed it ("无": a row it added)."""
    if original is None:
        return None
    before = original.value_at(fields[:3], fields[4])
    return None if before is None else before or "无"


_SHEET_FIELDS = (
    "pk", "fiscal_year__year", "agency__code", "agency__name", "position", "project__code", "title", "project__name",
    "section__name", "state", "budget_total", "fiscal_funds", "other_funds", "check_errors", "check_warnings",
    "submitted_at", "approved_at", "published_at", "in_force_from",
)
INDICATOR_FIELDS = ("category", "subcategory", "name", "description", "target_value", "value_operator", "value_number", "value_unit", "basis")


def _columns(model, names) -> str:
    return ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in names)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# A chunk's spending plans and indicators by ``= ANY(%s)`` of one array (an IN of 2,000 placeholders costs more to
# build and send than the rows it reads), as plain tuples in the order the ORM query gave them.
_PLANS_SQL = (
    f"SELECT p.{_columns(SpendPlan, ['sheet'])}, c.{_columns(Checkpoint, ['date'])}, p.{_columns(SpendPlan, ['cumulative_percent'])} "
    f"FROM {_table(SpendPlan)} p JOIN {_table(Checkpoint)} c ON c.{_columns(Checkpoint, ['id'])} = p.{_columns(SpendPlan, ['checkpoint'])} "
    f"WHERE p.{_columns(SpendPlan, ['sheet'])} = ANY(%s) ORDER BY c.{_columns(Checkpoint, ['date'])}"
)
_INDICATORS_SQL = (
    f"SELECT {_columns(Indicator, ['sheet', *INDICATOR_FIELDS[:5]])}, NULL, {_columns(Indicator, INDICATOR_FIELDS[5:])} "
    f"FROM {_table(Indicator)} "
    f"WHERE {_columns(Indicator, ['sheet'])} = ANY(%s) ORDER BY {_columns(Indicator, ['sheet', 'order', 'id'])}"
)


def _rows(sql: str, ids: list[int]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids])
        return cursor.fetchall()


def summary_records(sheets: QuerySet, *, chunk: int = 1000) -> Iterator[SheetRecord]:
    """``summary_sheets``' rows in their order, a chunk of sheets at a time (a server-side cursor): per chunk one query
    for the spending plans and one for the indicators, and two for 年初 when a sheet of the chunk was adjusted
    (``projects.revisions.originals_by_id``). A sheet whose checker verdict is not stored (rare: the stored verdicts
    were reset and not yet recomputed) is checked here. The reads run a chunk ahead in a thread of their own on this
    thread's connection, while the caller writes the previous chunk."""
    states = dict(SheetState.choices)
    for batch, plans, indicators, originals, verdicts in _ahead(_chunks(sheets, chunk), sheets.db):
        for (pk, year, code, name, position, project_code, title, project_name, section, state, budget, fiscal, other,
             errors, warnings, submitted, approved, published, _in_force_from) in batch:
            if pk in verdicts:
                errors, warnings = verdicts[pk]
            original = originals.get(pk)
            rows_of_sheet = indicators.get(pk, [])
            if original is not None:
                rows_of_sheet = [(*fields[:5], _original_value(original, fields), *fields[6:]) for fields in rows_of_sheet]
            yield SheetRecord(
                year, code, name, position, project_code, title or project_name, section or "", states.get(state, state),
                budget, fiscal, other, errors, warnings, submitted, approved, published, plans.get(pk, {}), rows_of_sheet,
                original.budget_if_changed(budget) if original is not None else None,
            )


def _chunks(sheets: QuerySet, chunk: int) -> Iterator[tuple]:
    """What ``summary_records`` reads, a chunk at a time: the sheets' rows, their plans by label, their indicator rows
    (``INDICATOR_FIELDS`` with None for 年初 after the value), the 年初 of the adjusted ones and missing verdicts."""
    labels: dict[datetime.date, str] = {}
    rows = sheets.prefetch_related(None).values_list(*_SHEET_FIELDS).iterator(chunk_size=chunk)
    while batch := list(islice(rows, chunk)):
        ids = [row[0] for row in batch]
        plans: dict[int, dict] = {}
        for sheet_id, date, percent in _rows(_PLANS_SQL, ids):
            if date not in labels:
                labels[date] = Checkpoint(date=date).label
            plans.setdefault(sheet_id, {})[labels[date]] = percent
        indicators: dict[int, list] = {}
        for row in _rows(_INDICATORS_SQL, ids):
            indicators.setdefault(row[0], []).append(row[1:])
        originals = originals_by_id([row[0] for row in batch if row[18] is not None])
        unknown = [row[0] for row in batch if row[13] is None or row[14] is None]
        verdicts = {sheet.pk: sheet.verdict() for sheet in sheets_with_content(TargetSheet.objects.filter(pk__in=unknown))} if unknown else {}
        yield batch, plans, indicators, originals, verdicts


def _ahead(items: Iterator, alias: str, *, depth: int = 1) -> Iterator:
    """``items`` produced in a thread that shares this thread's database connection (the same transaction, so the
    rows are the ones this thread would read), up to ``depth`` ahead: PostgreSQL answers the next chunk's queries
    while this thread writes the current one. Its errors are raised here; closing this generator stops it."""
    shared = connections[alias]
    shared.inc_thread_sharing()
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        connections[alias] = shared
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((False, None))
        except BaseException as error:  # handed to the reader
            put((False, error))
        finally:
            items.close()

    reader = threading.Thread(target=run, name="xlsx-rows", daemon=True)
    reader.start()
    try:
        while True:
            more, item = handoff.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        reader.join()
        shared.dec_thread_sharing()


def indicator_count(sheets: QuerySet) -> int:
    """How many indicator rows the export of ``sheets`` writes (the Excel summary's 指标明细)."""
    return Indicator.objects.filter(sheet__in=sheets.order_by().values("pk")).count()


def count_upto(queryset: QuerySet, limit: int) -> int:
    """How many rows, counting no further than ``limit`` (the list's count never scans a province)."""
    return queryset.order_by()[:limit].count()


def checkpoint_labels(queryset: QuerySet) -> list[str]:
    """The checkpoint labels of the years in ``queryset``, in calendar order (one column each)."""
    years = queryset.order_by().values("fiscal_year_id").distinct()
    dates = Checkpoint.objects.filter(fiscal_year_id__in=years).values_list("date", flat=True)
    seen = {}
    for date in sorted(dates, key=lambda d: (d.month, d.day)):
        checkpoint = Checkpoint(date=date)
        seen.setdefault(checkpoint.label, None)
    return list(seen)


def clean_filters(data) -> dict:
    """The list's filters from query parameters (as ``sheets.views.sheet_list`` reads them); bad values are dropped."""

    def integer(value):
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    state = data.get("state")
    return {
        "year": integer(data.get("year")),
        "section": integer(data.get("section")),
        "state": state if state in SheetState.values else None,
        "agency": (data.get("agency") or "").strip()[:20] or None,
        "search": (data.get("q") or data.get("search") or "").strip()[:100] or None,
    }
