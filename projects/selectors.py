"""Reads on the documents, with the joins a page needs."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from projects.models import Indicator, SheetState, SpendPlan, TargetSheet


def sheets_with_content(queryset: QuerySet | None = None) -> QuerySet:
    """Sheets with everything the table layout, the checker and the exporter read, in a fixed number of queries."""
    queryset = TargetSheet.objects.all() if queryset is None else queryset
    return queryset.select_related("project", "agency", "section", "fiscal_year").prefetch_related(
        Prefetch("plan", queryset=SpendPlan.objects.select_related("checkpoint").order_by("checkpoint__date")),
        Prefetch("indicators", queryset=Indicator.objects.order_by("order", "id")),
    )


def package_sheets(*, agency, year: int, published_only: bool = False) -> QuerySet:
    queryset = TargetSheet.objects.filter(agency=agency, fiscal_year__year=year)
    if published_only:
        queryset = queryset.filter(state=SheetState.PUBLISHED)
    return sheets_with_content(queryset).order_by("position", "id")
