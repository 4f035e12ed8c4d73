"""Reads for exports: the sheets of an export, scoped exactly like the sheet list (``workflow.selectors.sheet_list``)."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from projects.models import Checkpoint, SheetState
from projects.selectors import sheets_with_content
from workflow import selectors as workflow_selectors
from workflow.models import Action, Event

FILTER_NAMES = ("year", "section", "state", "agency", "search")


def _last_event(**match) -> Subquery:
    events = Event.objects.filter(sheet=OuterRef("pk"), **match).order_by("-created", "-id").values("created")[:1]
    return Subquery(events)


def summary_sheets(user, filters: dict) -> QuerySet:
    """What ``user`` sees in the sheet list with ``filters``, in the list's order, with the content the summary
    writes and the dates of the last submission, leader approval and publication."""
    listed = workflow_selectors.sheet_list(user, **{name: filters.get(name) for name in FILTER_NAMES})
    return sheets_with_content(listed).annotate(
        submitted_at=_last_event(action=Action.SUBMIT),
        approved_at=_last_event(action=Action.APPROVE, from_state=SheetState.LEADER_REVIEW),
        published_at=_last_event(to_state=SheetState.PUBLISHED),
    )


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
    """The list's filters from query parameters (as ``workflow.views.sheet_list`` reads them); bad values are dropped."""

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
